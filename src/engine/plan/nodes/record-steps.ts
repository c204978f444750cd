import { PromiseReturnedError } from '../errors';
import type { FusedStep } from './record-node';

type Pair = [unknown, unknown];

/*
 * The record operators' steps. Every step counts `trace.depth` up around each row it passes on, so when
 * a user function throws, the depth says which operator of the fused chain it was (see record-node.ts).
 * Each has a pair form for a consumer that takes rows apart into key and value (a map-side combiner):
 * operators that build the pair themselves (mapValues, countByValue) then build no tuple at all.
 *
 * User functions must return values, not promises: an `async` function is refused when the operator is
 * defined, and a returned promise on the first row of each partition (one boolean test per row after).
 */

/** What to use instead of each record operator when the function is async. */
const ASYNC_INSTEAD: Record<string, string> = {
  map: 'use mapAsync(f, { concurrency })',
  flatMap: 'use mapAsync(f, { concurrency }) and then flatMap((rows) => rows)',
  filter: 'compute the condition with mapAsync(f, { concurrency }) first, then filter on it',
  mapValues: 'use mapAsync(([key, value]) => ..., { concurrency })',
  flatMapValues: 'use mapAsync(([key, value]) => ..., { concurrency }) and then flatMap',
  mapPartitions: 'use mapPartitionsAsync(f)',
};

function refusal(operator: string): PromiseReturnedError {
  const instead = ASYNC_INSTEAD[operator] ?? 'use mapAsync(f, { concurrency })';
  return new PromiseReturnedError(`${operator} got a function that returns a Promise; ${instead}`, {
    operator,
  });
}

/** Refuses an `async` function where a plain one is needed, when the operator is defined. */
export function refuseAsyncFunction(operator: string, f: unknown): void {
  const kind = (f as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (kind === 'AsyncFunction' || kind === 'AsyncGeneratorFunction') throw refusal(operator);
}

/**
 * `f`, with its first result in this chain refused if it is a promise; later calls cost one boolean test.
 * Made once per partition's chain (in `into`/`intoPairs`), so every partition checks its own first row.
 */
function firstResultChecked<A, R>(operator: string, f: (arg: A) => R): (arg: A) => R {
  let checked = false;
  return (arg) => {
    const result = f(arg);
    if (!checked) {
      refusePromise(operator, result);
      checked = true;
    }
    return result;
  };
}

/** Refuses a promise returned where a value was expected. */
export function refusePromise(operator: string, value: unknown): void {
  if (typeof (value as { then?: unknown } | null)?.then !== 'function') return;
  // Nobody will await it: its rejection must not surface as an unhandled one.
  (value as PromiseLike<unknown>).then(undefined, () => {});
  throw refusal(operator);
}

export function mapStep<T, U>(f: (value: T) => U): FusedStep<T, U> {
  refuseAsyncFunction('map', f);
  return {
    into: (emit, trace) => {
      const call = firstResultChecked('map', f);
      return (value) => {
        const row = call(value);
        trace.depth++;
        emit(row);
        trace.depth--;
      };
    },
    intoPairs: (emit, trace) => {
      const call = firstResultChecked('map', f);
      return (value) => {
        const pair = call(value) as unknown as Pair;
        trace.depth++;
        emit(pair[0], pair[1]);
        trace.depth--;
      };
    },
  };
}

export function flatMapStep<T, U>(f: (value: T) => Iterable<U>): FusedStep<T, U> {
  refuseAsyncFunction('flatMap', f);
  return {
    into: (emit, trace) => {
      const call = firstResultChecked('flatMap', f);
      return (value) => {
        const produced = call(value);
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
      };
    },
    intoPairs: (emit, trace) => {
      const call = firstResultChecked('flatMap', f);
      return (value) => {
        const produced = call(value) as unknown as Iterable<Pair>;
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
      };
    },
  };
}

export function filterStep<T>(predicate: (value: T) => boolean): FusedStep<T, T> {
  refuseAsyncFunction('filter', predicate);
  return {
    into: (emit, trace) => {
      const call = firstResultChecked('filter', predicate);
      return (value) => {
        const keep = call(value);
        if (!keep) return;
        trace.depth++;
        emit(value);
        trace.depth--;
      };
    },
    intoPairs: (emit, trace) => {
      const call = firstResultChecked('filter', predicate);
      return (value) => {
        const keep = call(value);
        if (!keep) return;
        trace.depth++;
        emit((value as unknown as Pair)[0], (value as unknown as Pair)[1]);
        trace.depth--;
      };
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
  refuseAsyncFunction('mapValues', f);
  return {
    into: (emit, trace) => {
      const call = firstResultChecked('mapValues', f);
      return (pair) => {
        const row: [K, W] = [pair[0], call(pair[1])];
        trace.depth++;
        emit(row);
        trace.depth--;
      };
    },
    intoPairs: (emit, trace) => {
      const call = firstResultChecked('mapValues', f);
      return (pair) => {
        const value = call(pair[1]);
        trace.depth++;
        emit(pair[0], value);
        trace.depth--;
      };
    },
  };
}

export function flatMapValuesStep<K, V, W>(f: (value: V) => Iterable<W>): FusedStep<[K, V], [K, W]> {
  refuseAsyncFunction('flatMapValues', f);
  return {
    into: (emit, trace) => {
      const call = firstResultChecked('flatMapValues', f);
      return (pair) => {
        const produced = call(pair[1]);
        for (const item of produced) {
          trace.depth++;
          emit([pair[0], item]);
          trace.depth--;
        }
      };
    },
    intoPairs: (emit, trace) => {
      const call = firstResultChecked('flatMapValues', f);
      return (pair) => {
        const produced = call(pair[1]);
        for (const item of produced) {
          trace.depth++;
          emit(pair[0], item);
          trace.depth--;
        }
      };
    },
  };
}
