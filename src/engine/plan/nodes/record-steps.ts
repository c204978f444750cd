import type { FusedStep } from './record-node';

type Pair = [unknown, unknown];

/*
 * The record operators' steps. Every step counts `trace.depth` up around each row it passes on, so when
 * a user function throws, the depth says which operator of the fused chain it was (see record-node.ts).
 * Each has a pair form for a consumer that takes rows apart into key and value (a map-side combiner):
 * operators that build the pair themselves (mapValues, countByValue) then build no tuple at all.
 */

export function mapStep<T, U>(f: (value: T) => U): FusedStep<T, U> {
  return {
    into: (emit, trace) => (value) => {
      const row = f(value);
      trace.depth++;
      emit(row);
      trace.depth--;
    },
    intoPairs: (emit, trace) => (value) => {
      const pair = f(value) as unknown as Pair;
      trace.depth++;
      emit(pair[0], pair[1]);
      trace.depth--;
    },
  };
}

export function flatMapStep<T, U>(f: (value: T) => Iterable<U>): FusedStep<T, U> {
  return {
    into: (emit, trace) => (value) => {
      const produced = f(value);
      if (Array.isArray(produced)) {
        trace.depth++;
        for (let i = 0; i < produced.length; i++) emit(produced[i]);
        trace.depth--;
      } else {
        // The iterator runs user code between rows: count only around each row.
        for (const item of produced) {
          trace.depth++;
          emit(item);
          trace.depth--;
        }
      }
    },
    intoPairs: (emit, trace) => (value) => {
      const produced = f(value) as unknown as Iterable<Pair>;
      if (Array.isArray(produced)) {
        trace.depth++;
        for (let i = 0; i < produced.length; i++) emit(produced[i][0], produced[i][1]);
        trace.depth--;
      } else {
        for (const pair of produced) {
          trace.depth++;
          emit(pair[0], pair[1]);
          trace.depth--;
        }
      }
    },
  };
}

export function filterStep<T>(predicate: (value: T) => boolean): FusedStep<T, T> {
  return {
    into: (emit, trace) => (value) => {
      if (!predicate(value)) return;
      trace.depth++;
      emit(value);
      trace.depth--;
    },
    intoPairs: (emit, trace) => (value) => {
      if (!predicate(value)) return;
      trace.depth++;
      emit((value as unknown as Pair)[0], (value as unknown as Pair)[1]);
      trace.depth--;
    },
  };
}

/** `[value, 1]` per row, for counting by value (no user code, so nothing to count). */
export function countOneStep<T>(): FusedStep<T, [T, number]> {
  return {
    into: (emit, trace) => (value) => {
      trace.depth++;
      emit([value, 1]);
      trace.depth--;
    },
    intoPairs: (emit, trace) => (value) => {
      trace.depth++;
      emit(value, 1);
      trace.depth--;
    },
  };
}

export function mapValuesStep<K, V, W>(f: (value: V) => W): FusedStep<[K, V], [K, W]> {
  return {
    into: (emit, trace) => (pair) => {
      const row: [K, W] = [pair[0], f(pair[1])];
      trace.depth++;
      emit(row);
      trace.depth--;
    },
    intoPairs: (emit, trace) => (pair) => {
      const value = f(pair[1]);
      trace.depth++;
      emit(pair[0], value);
      trace.depth--;
    },
  };
}

export function flatMapValuesStep<K, V, W>(f: (value: V) => Iterable<W>): FusedStep<[K, V], [K, W]> {
  return {
    into: (emit, trace) => (pair) => {
      for (const produced of f(pair[1])) {
        trace.depth++;
        emit([pair[0], produced]);
        trace.depth--;
      }
    },
    intoPairs: (emit, trace) => (pair) => {
      for (const produced of f(pair[1])) {
        trace.depth++;
        emit(pair[0], produced);
        trace.depth--;
      }
    },
  };
}
