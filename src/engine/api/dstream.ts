import {
  type DStreamNode,
  InvalidGraphError,
  type KeyState,
  type MapWithStateRow,
  mapWithStateFunction,
  OutputDStream,
  ReducedWindowedDStream,
  type Sink,
  StateDStream,
  TransformedDStream,
  UnionDStream,
  updateStateByKeyFunction,
  WindowedDStream,
} from '../graph';
import { checkPartitions, type Pair, type RDD } from '../plan';
import { type Duration, toMillis } from '../util/duration';
import type { StreamingContext } from './streaming-context';
import { type WindowOptions, windowDurations } from './windows';

export interface StateOptions<K, S> {
  /** State of some keys before the first batch. */
  initial?: readonly Pair<K, S>[];
  partitions?: number;
}

export interface MapWithStateOptions<K, S> extends StateOptions<K, S> {
  /** A key without new values for this long gets one last call (isTimingOut) and its state is removed. */
  timeout?: Duration;
}

// Functions in options are declared as methods so that DStream<T> stays assignable like any container.
export interface ReduceWindowOptions<T> extends WindowOptions {
  /** Undoes `f`: inverse(f(a, b), b) === a. Makes the window incremental. */
  inverse?(a: T, b: T): T;
}

export interface ReduceByKeyWindowOptions<K, V> extends ReduceWindowOptions<V> {
  /** With `inverse`: keeps only the entries for which it returns true. */
  filter?(entry: Pair<K, V>): boolean;
  partitions?: number;
}

/** mapWithState's output, plus the full state after every batch. */
export type MapWithStateStream<K, S, U> = DStream<U> & { stateSnapshots(): DStream<Pair<K, S>> };

/**
 * A discretized stream: a sequence of RDDs, one per batch interval. Every operation returns a new stream
 * whose RDD at time t is a deterministic function of its parents' RDDs at t.
 */
export class DStream<T> {
  constructor(
    readonly context: StreamingContext,
    readonly node: DStreamNode<T>,
  ) {}

  /** Interval between this stream's RDDs, in ms. */
  get slideMs(): number {
    return this.node.slideMs;
  }

  map<U>(f: (value: T) => U): DStream<U> {
    return this.apply('map', (rdd) => rdd.map(f));
  }

  flatMap<U>(f: (value: T) => Iterable<U>): DStream<U> {
    return this.apply('flatMap', (rdd) => rdd.flatMap(f));
  }

  filter(predicate: (value: T) => boolean): DStream<T> {
    return this.apply('filter', (rdd) => rdd.filter(predicate));
  }

  mapPartitions<U>(f: (rows: T[], partition: number) => Iterable<U>): DStream<U> {
    return this.apply('mapPartitions', (rdd) => rdd.mapPartitions(f));
  }

  /** Each partition of each batch becomes one array. */
  glom(): DStream<T[]> {
    return this.apply('glom', (rdd) => rdd.glom());
  }

  union(...others: DStream<T>[]): DStream<T> {
    for (const other of others) this.requireSameContext('union', other);
    const node = new UnionDStream(this.context.graph, [this.node, ...others.map((o) => o.node)]);
    return new DStream(this.context, node);
  }

  /** Any RDD-to-RDD function per batch. It only builds lineage, so it must be deterministic. */
  transform<U>(f: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U> {
    return this.apply('transform', f);
  }

  transformWith<U, V>(other: DStream<U>, f: (a: RDD<T>, b: RDD<U>, time: number) => RDD<V>): DStream<V> {
    return this.applyWith('transformWith', other, f);
  }

  repartition(partitions: number): DStream<T> {
    checkPartitions(partitions, 'repartition');
    return this.apply('repartition', (rdd) => rdd.repartition(partitions));
  }

  /** One element per batch: all elements reduced with `f` (nothing for an empty batch). */
  reduce(f: (a: T, b: T) => T): DStream<T> {
    return this.apply('reduce', (rdd) => rdd.reduce(f));
  }

  /** One element per batch: the number of elements (0 for an empty batch). */
  count(): DStream<number> {
    return this.apply('count', (rdd) => rdd.count());
  }

  countByValue(partitions = this.context.defaultPartitions): DStream<Pair<T, number>> {
    checkPartitions(partitions, 'countByValue');
    return this.apply('countByValue', (rdd) => rdd.countByValue(partitions));
  }

  mapValues<K, V, W>(this: DStream<Pair<K, V>>, f: (value: V) => W): DStream<Pair<K, W>> {
    return this.apply('mapValues', (rdd) => rdd.mapValues(f));
  }

  flatMapValues<K, V, W>(this: DStream<Pair<K, V>>, f: (value: V) => Iterable<W>): DStream<Pair<K, W>> {
    return this.apply('flatMapValues', (rdd) => rdd.flatMapValues(f));
  }

  reduceByKey<K, V>(
    this: DStream<Pair<K, V>>,
    f: (a: V, b: V) => V,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, V>> {
    checkPartitions(partitions, 'reduceByKey');
    return this.apply('reduceByKey', (rdd) => rdd.reduceByKey(f, partitions));
  }

  combineByKey<K, V, C>(
    this: DStream<Pair<K, V>>,
    createCombiner: (value: V) => C,
    mergeValue: (combiner: C, value: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, C>> {
    checkPartitions(partitions, 'combineByKey');
    return this.apply('combineByKey', (rdd) =>
      rdd.combineByKey(createCombiner, mergeValue, mergeCombiners, partitions),
    );
  }

  groupByKey<K, V>(
    this: DStream<Pair<K, V>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, V[]>> {
    checkPartitions(partitions, 'groupByKey');
    return this.apply('groupByKey', (rdd) => rdd.groupByKey(partitions));
  }

  cogroup<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, [V[], W[]]>> {
    checkPartitions(partitions, 'cogroup');
    return this.applyWith('cogroup', other, (a, b) => a.cogroup(b, partitions));
  }

  join<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, [V, W]>> {
    checkPartitions(partitions, 'join');
    return this.applyWith('join', other, (a, b) => a.join(b, partitions));
  }

  leftOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, [V, W | null]>> {
    checkPartitions(partitions, 'leftOuterJoin');
    return this.applyWith('leftOuterJoin', other, (a, b) => a.leftOuterJoin(b, partitions));
  }

  rightOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, [V | null, W]>> {
    checkPartitions(partitions, 'rightOuterJoin');
    return this.applyWith('rightOuterJoin', other, (a, b) => a.rightOuterJoin(b, partitions));
  }

  fullOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
    partitions = this.context.defaultPartitions,
  ): DStream<Pair<K, [V | null, W | null]>> {
    checkPartitions(partitions, 'fullOuterJoin');
    return this.applyWith('fullOuterJoin', other, (a, b) => a.fullOuterJoin(b, partitions));
  }

  /** Every `slide`, the union of the stream's batches over the last `window`. */
  window(options: WindowOptions): DStream<T> {
    const { windowMs, slideMs } = windowDurations('window', options as never, this.slideMs, []);
    return new DStream(this.context, new WindowedDStream(this.context.graph, this.node, windowMs, slideMs));
  }

  /**
   * All elements of the window reduced with `f`. With `inverse` (a - b undoing a + b) the window is
   * updated incrementally from the previous one.
   */
  reduceByWindow(f: (a: T, b: T) => T, options: ReduceWindowOptions<T>): DStream<T> {
    windowDurations('reduceByWindow', options as never, this.slideMs, ['inverse']);
    if (options.inverse) {
      return this.map((value): Pair<number, T> => [0, value])
        .reduceByKeyAndWindow(f, {
          window: options.window,
          slide: options.slide,
          inverse: options.inverse,
          partitions: 1,
        })
        .map((pair) => pair[1]);
    }
    return this.reduce(f).window({ window: options.window, slide: options.slide }).reduce(f);
  }

  /** Number of elements in the window (kept incrementally). */
  countByWindow(options: WindowOptions): DStream<number> {
    windowDurations('countByWindow', options as never, this.slideMs, []);
    return this.map(() => 1).reduceByWindow((a, b) => a + b, { ...options, inverse: (a, b) => a - b });
  }

  /** `[value, occurrences in the window]`; values whose count fell to 0 are dropped. */
  countByValueAndWindow(options: WindowOptions & { partitions?: number }): DStream<Pair<T, number>> {
    windowDurations('countByValueAndWindow', options as never, this.slideMs, ['partitions']);
    return this.map((value): Pair<T, number> => [value, 1]).reduceByKeyAndWindow((a, b) => a + b, {
      ...options,
      inverse: (a, b) => a - b,
      filter: (entry) => entry[1] !== 0,
    });
  }

  groupByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    options: WindowOptions & { partitions?: number },
  ): DStream<Pair<K, V[]>> {
    windowDurations('groupByKeyAndWindow', options as never, this.slideMs, ['partitions']);
    const partitions = options.partitions ?? this.context.defaultPartitions;
    checkPartitions(partitions, 'groupByKeyAndWindow');
    return this.groupByKey(partitions)
      .window({ window: options.window, slide: options.slide })
      .combineByKey<K, V[], V[]>(
        (values) => [...values],
        (all, values) => all.concat(values),
        (a, b) => a.concat(b),
        partitions,
      );
  }

  /**
   * Values of each key reduced over the window. With `inverse`, the window is the previous window plus
   * the batches that entered minus those that left (reads two slices per batch, whatever the window);
   * keys whose value returned to neutral stay unless `filter` drops them.
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    f: (a: V, b: V) => V,
    options: ReduceByKeyWindowOptions<K, V>,
  ): DStream<Pair<K, V>> {
    const { windowMs, slideMs } = windowDurations('reduceByKeyAndWindow', options as never, this.slideMs, [
      'inverse',
      'filter',
      'partitions',
    ]);
    const partitions = options.partitions ?? this.context.defaultPartitions;
    checkPartitions(partitions, 'reduceByKeyAndWindow');
    const reduced = this.reduceByKey(f, partitions);
    if (!options.inverse) {
      return reduced.window({ window: options.window, slide: options.slide }).reduceByKey(f, partitions);
    }
    const node = new ReducedWindowedDStream<K, V>(
      this.context.graph,
      reduced.node,
      windowMs,
      slideMs,
      partitions,
      {
        reduce: f,
        inverse: options.inverse,
        filter: options.filter,
      },
    );
    return new DStream(this.context, node);
  }

  /**
   * Per-key state across batches: `update(newValues, state)` runs every batch for every key that has
   * state or new values; returning undefined removes the key.
   */
  updateStateByKey<K, V, S>(
    this: DStream<Pair<K, V>>,
    update: (values: V[], state: S | undefined) => S | undefined,
    options: StateOptions<K, S> = {},
  ): DStream<Pair<K, S>> {
    const partitions = options.partitions ?? this.context.defaultPartitions;
    checkPartitions(partitions, 'updateStateByKey');
    const node = new StateDStream<K, V, Pair<K, S>>(this.context.graph, this.node, {
      operator: 'updateStateByKey',
      partitions,
      update: updateStateByKeyFunction<K, V, S>(update),
      initialRows: options.initial as Pair<K, unknown>[] | undefined,
    });
    return new DStream(this.context, node);
  }

  /**
   * Per-key state with per-record output: `fn(key, value, state)` runs for each new value and returns
   * what to emit (or undefined). Keys idle for `timeout` get one more call with `state.isTimingOut()`.
   */
  mapWithState<K, V, S, U>(
    this: DStream<Pair<K, V>>,
    fn: (key: K, value: V | undefined, state: KeyState<S>) => U | undefined,
    options: MapWithStateOptions<K, S> = {},
  ): MapWithStateStream<K, S, U> {
    const partitions = options.partitions ?? this.context.defaultPartitions;
    checkPartitions(partitions, 'mapWithState');
    const timeoutMs =
      options.timeout === undefined ? undefined : toMillis(options.timeout, 'mapWithState timeout');
    const stateNode = new StateDStream<K, V, MapWithStateRow<K, S, U>>(this.context.graph, this.node, {
      operator: 'mapWithState',
      partitions,
      update: mapWithStateFunction(fn, timeoutMs),
      initialRows: options.initial as Pair<K, unknown>[] | undefined,
      toInitialRow: ([key, state], zeroTime) => [key, state as S, zeroTime, []],
    });
    const rows = new DStream(this.context, stateNode);
    const mapped = rows.flatMap((row) => row[3]);
    return Object.assign(mapped, {
      stateSnapshots: () =>
        rows.flatMap((row): Pair<K, S>[] => (row[1] === undefined ? [] : [[row[0], row[1]]])),
    });
  }

  /** Checkpoint this stream's RDDs every `interval` (a multiple of its slide), cutting their lineage. */
  checkpoint(interval: Duration): this {
    this.node.setCheckpointInterval(toMillis(interval, 'checkpoint interval'));
    return this;
  }

  /** Runs `fn` on the coordinator for every batch; `rdd.collect()` inside it runs the batch. */
  foreachBatch(fn: (rdd: RDD<T>, time: number) => void | Promise<void>): void {
    new OutputDStream(this.context.graph, this.node, { kind: 'foreachBatch', fn }, 'foreachBatch');
  }

  /** Prints the first `n` elements of every batch, as Spark's `print()` does. */
  print(n = 10): void {
    const log = this.context.log;
    new OutputDStream(
      this.context.graph,
      this.node,
      {
        kind: 'foreachBatch',
        fn: async (rdd, time) => {
          const first = await rdd.take(n + 1);
          const lines = [
            '-------------------------------------------',
            `Time: ${time} ms`,
            '-------------------------------------------',
          ];
          for (const value of first.slice(0, n)) lines.push(formatValue(value));
          if (first.length > n) lines.push('...');
          log(`${lines.join('\n')}\n`);
        },
      },
      'print',
    );
  }

  /** Writes every batch to `sink`, one write per partition, committed once the batch is complete. */
  writeTo(sink: Sink<T>): void {
    new OutputDStream(this.context.graph, this.node, { kind: 'sink', sink }, `writeTo '${sink.name}'`);
  }

  private apply<U>(operator: string, f: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U> {
    const node = new TransformedDStream<U>(
      this.context.graph,
      operator,
      [this.node as DStreamNode<unknown>],
      (rdds, time) => f(rdds[0] as RDD<T>, time),
    );
    return new DStream(this.context, node);
  }

  private applyWith<U, V>(
    operator: string,
    other: DStream<U>,
    f: (a: RDD<T>, b: RDD<U>, time: number) => RDD<V>,
  ): DStream<V> {
    this.requireSameContext(operator, other);
    const node = new TransformedDStream<V>(
      this.context.graph,
      operator,
      [this.node as DStreamNode<unknown>, other.node as DStreamNode<unknown>],
      (rdds, time) => f(rdds[0] as RDD<T>, rdds[1] as RDD<U>, time),
    );
    return new DStream(this.context, node);
  }

  private requireSameContext(operator: string, other: DStream<any>): void {
    if (!(other instanceof DStream) || other.context !== this.context) {
      throw new InvalidGraphError(
        `${operator}: the other stream was created by a different StreamingContext; build both streams from the same context`,
        { operator },
      );
    }
  }
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `(${value.map(formatValue).join(',')})`;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
