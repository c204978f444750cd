import {
  type DStreamNode,
  InvalidGraphError,
  OutputDStream,
  type Sink,
  TransformedDStream,
  UnionDStream,
} from '../graph';
import { checkPartitions, type Pair, type RDD } from '../plan';
import type { StreamingContext } from './streaming-context';

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

  private requireSameContext(operator: string, other: DStream<unknown>): void {
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
