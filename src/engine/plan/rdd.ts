import { ConfigError } from '../util/errors';
import { keyIdentity } from '../util/hash';
import { ActionNotAvailableError } from './errors';
import type { Aggregator, LineageNode } from './lineage';
import { CoGroupedNode } from './nodes/cogrouped-node';
import { NarrowNode, type PartitionFunction } from './nodes/narrow-node';
import { type FusedStep, RecordNode } from './nodes/record-node';
import {
  countOneStep,
  filterStep,
  flatMapStep,
  flatMapValuesStep,
  mapStep,
  mapValuesStep,
} from './nodes/record-steps';
import { ShuffledNode } from './nodes/shuffled-node';
import { UnionNode } from './nodes/union-node';
import { currentScope, type IdScope, withScope } from './scope';

/** Runs actions for RDDs handed to driver code (foreachBatch); absent inside transform. */
export interface ActionRunner {
  collect<T>(node: LineageNode<T>): Promise<T[]>;
  /** The first `n` rows in partition order, scanning as few partitions as it can. */
  take<T>(node: LineageNode<T>, n: number): Promise<T[]>;
  /** Ids for RDDs derived in driver code after an `await`, where no synchronous scope is active. */
  readonly scope: IdScope;
}

export type Pair<K, V> = [K, V];

/**
 * One batch's immutable, partitioned dataset. Transformations build lineage and return new RDDs; nothing
 * runs until an action (`collect`) or until the stream's output operation runs the batch.
 */
export class RDD<T> {
  constructor(
    readonly node: LineageNode<T>,
    readonly runner?: ActionRunner,
  ) {}

  get numPartitions(): number {
    return this.node.numPartitions;
  }

  /** The batch time this dataset belongs to. */
  get time(): number {
    return this.node.time;
  }

  map<U>(f: (value: T) => U): RDD<U> {
    return this.record('map', mapStep(f));
  }

  flatMap<U>(f: (value: T) => Iterable<U>): RDD<U> {
    return this.record('flatMap', flatMapStep(f));
  }

  filter(predicate: (value: T) => boolean): RDD<T> {
    return this.record('filter', filterStep(predicate), true);
  }

  /** `f` sees a whole partition (and its index) and returns the partition's new rows. */
  mapPartitions<U>(f: (rows: T[], partition: number) => Iterable<U>): RDD<U> {
    return this.narrow('mapPartitions', (rows, partition) => {
      const produced = f(rows, partition);
      return Array.isArray(produced) ? produced : Array.from(produced);
    });
  }

  /** Each partition becomes one row: the array of its rows. */
  glom(): RDD<T[]> {
    return this.narrow('glom', (rows) => [rows]);
  }

  union(...others: RDD<T>[]): RDD<T> {
    return this.derive(() => new UnionNode([this.node, ...others.map((o) => o.node)]));
  }

  /** Redistributes rows evenly over `partitions` partitions (a shuffle). */
  repartition(partitions: number): RDD<T> {
    checkPartitions(partitions, 'repartition');
    return this.derive(
      () => new ShuffledNode<T>('repartition', this.node, { partitions, partitionBy: 'roundRobin' }),
    );
  }

  /** A dataset of one row: the number of rows (0 for an empty batch). */
  count(): RDD<number> {
    return this.mapPartitions((rows) => [[0, rows.length] as Pair<number, number>])
      .reduceByKeyNamed('count', (a, b) => a + b, 1)
      .map((pair) => pair[1]);
  }

  /** A dataset of at most one row: all rows reduced with `f` (no row for an empty batch). */
  reduce(f: (a: T, b: T) => T): RDD<T> {
    return this.mapPartitions((rows) => (rows.length === 0 ? [] : [[0, rows.reduce(f)] as Pair<number, T>]))
      .reduceByKeyNamed('reduce', f, 1)
      .map((pair) => pair[1]);
  }

  /** `[value, occurrences]` for every distinct value. */
  countByValue(partitions?: number): RDD<Pair<T, number>> {
    const ones = this.record('countByValue', countOneStep<T>());
    return ones.reduceByKeyNamed('countByValue', (a, b) => a + b, partitions ?? this.numPartitions);
  }

  mapValues<K, V, W>(this: RDD<Pair<K, V>>, f: (value: V) => W): RDD<Pair<K, W>> {
    return this.record('mapValues', mapValuesStep(f), true);
  }

  flatMapValues<K, V, W>(this: RDD<Pair<K, V>>, f: (value: V) => Iterable<W>): RDD<Pair<K, W>> {
    return this.record('flatMapValues', flatMapValuesStep(f), true);
  }

  /** Merges the values of each key with an associative, commutative `f`, combining on the map side first. */
  reduceByKey<K, V>(this: RDD<Pair<K, V>>, f: (a: V, b: V) => V, partitions?: number): RDD<Pair<K, V>> {
    return this.reduceByKeyNamed('reduceByKey', f, partitions);
  }

  combineByKey<K, V, C>(
    this: RDD<Pair<K, V>>,
    createCombiner: (value: V) => C,
    mergeValue: (combiner: C, value: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    partitions?: number,
  ): RDD<Pair<K, C>> {
    return this.shuffleByKey(
      'combineByKey',
      { createCombiner, mergeValue, mergeCombiners },
      true,
      partitions,
    );
  }

  groupByKey<K, V>(this: RDD<Pair<K, V>>, partitions?: number): RDD<Pair<K, V[]>> {
    // No map-side combine: grouping does not shrink the data, it would only copy it.
    return this.shuffleByKey<K, V, V[]>(
      'groupByKey',
      {
        createCombiner: (v) => [v],
        mergeValue: (c, v) => {
          c.push(v);
          return c;
        },
        mergeCombiners: (a, b) => a.concat(b),
      },
      false,
      partitions,
    );
  }

  /** `[key, [values from this, values from other]]` for every key in either. */
  cogroup<K, V, W>(
    this: RDD<Pair<K, V>>,
    other: RDD<Pair<K, W>>,
    partitions?: number,
  ): RDD<Pair<K, [V[], W[]]>> {
    const count = partitions ?? Math.max(this.numPartitions, other.numPartitions);
    checkPartitions(count, 'cogroup');
    return this.derive(
      () => new CoGroupedNode<K>([this.node as LineageNode<Pair<K, unknown>>, other.node], count),
    ) as unknown as RDD<Pair<K, [V[], W[]]>>;
  }

  join<K, V, W>(this: RDD<Pair<K, V>>, other: RDD<Pair<K, W>>, partitions?: number): RDD<Pair<K, [V, W]>> {
    return this.joinWith('join', other, partitions, false, false) as RDD<Pair<K, [V, W]>>;
  }

  leftOuterJoin<K, V, W>(
    this: RDD<Pair<K, V>>,
    other: RDD<Pair<K, W>>,
    partitions?: number,
  ): RDD<Pair<K, [V, W | null]>> {
    return this.joinWith('leftOuterJoin', other, partitions, false, true) as RDD<Pair<K, [V, W | null]>>;
  }

  rightOuterJoin<K, V, W>(
    this: RDD<Pair<K, V>>,
    other: RDD<Pair<K, W>>,
    partitions?: number,
  ): RDD<Pair<K, [V | null, W]>> {
    return this.joinWith('rightOuterJoin', other, partitions, true, false) as RDD<Pair<K, [V | null, W]>>;
  }

  fullOuterJoin<K, V, W>(
    this: RDD<Pair<K, V>>,
    other: RDD<Pair<K, W>>,
    partitions?: number,
  ): RDD<Pair<K, [V | null, W | null]>> {
    return this.joinWith('fullOuterJoin', other, partitions, true, true) as RDD<
      Pair<K, [V | null, W | null]>
    >;
  }

  /** Every row, in partition order. An action: only available on RDDs handed to `foreachBatch`. */
  collect(): Promise<T[]> {
    if (!this.runner) {
      // Thrown, not rejected: inside transform nobody awaits, and the batch must fail, not commit.
      throw new ActionNotAvailableError(
        'collect() runs the batch, so it is only available in foreachBatch; inside transform, return a new RDD instead',
        { node: this.node.id },
      );
    }
    return this.runner.collect(this.node);
  }

  /**
   * The first `n` rows in partition order. An action, like `collect`, but it computes one partition
   * first and more only while rows are missing (4x more each round, as Spark does), and each task
   * returns at most the rows still wanted, so a large batch never travels to the coordinator.
   */
  take(n: number): Promise<T[]> {
    if (!Number.isInteger(n) || n < 0) {
      throw new ConfigError(`take(n) needs a whole number n >= 0, got ${n}; pass e.g. take(10)`, { n });
    }
    if (!this.runner) {
      throw new ActionNotAvailableError(
        'take() runs the batch, so it is only available in foreachBatch; inside transform, return a new RDD instead',
        { node: this.node.id },
      );
    }
    return this.runner.take(this.node, n);
  }

  private record<U>(operator: string, step: FusedStep<T, U>, preservesPartitioning = false): RDD<U> {
    return this.derive(() => new RecordNode(operator, this.node, step, preservesPartitioning));
  }

  private narrow<U>(operator: string, fn: PartitionFunction<T, U>, preservesPartitioning = false): RDD<U> {
    return this.derive(() => new NarrowNode(operator, this.node, fn, preservesPartitioning));
  }

  private reduceByKeyNamed<K, V>(
    this: RDD<Pair<K, V>>,
    operator: string,
    f: (a: V, b: V) => V,
    partitions?: number,
  ): RDD<Pair<K, V>> {
    return this.shuffleByKey(
      operator,
      { createCombiner: (v) => v, mergeValue: f, mergeCombiners: f },
      true,
      partitions,
    );
  }

  private shuffleByKey<K, V, C>(
    this: RDD<Pair<K, V>>,
    operator: string,
    aggregator: Aggregator<V, C>,
    mapSideCombine: boolean,
    partitions?: number,
  ): RDD<Pair<K, C>> {
    const count = partitions ?? this.numPartitions;
    checkPartitions(count, operator);
    if (this.node.partitioner?.partitions === count) {
      // Already partitioned by key the same way: combine within each partition, no shuffle.
      return this.narrow(operator, (rows) => combineLocally(rows, aggregator), true) as unknown as RDD<
        Pair<K, C>
      >;
    }
    return this.derive(
      () =>
        new ShuffledNode<Pair<K, C>>(operator, this.node, {
          partitions: count,
          partitionBy: 'hash',
          aggregator: aggregator as Aggregator<unknown, unknown>,
          mapSideCombine,
        }),
    );
  }

  private joinWith<K, V, W>(
    this: RDD<Pair<K, V>>,
    operator: string,
    other: RDD<Pair<K, W>>,
    partitions: number | undefined,
    keepLeftMissing: boolean,
    keepRightMissing: boolean,
  ): RDD<Pair<K, [V | null, W | null]>> {
    return this.cogroup(other, partitions).narrow(
      operator,
      (groups) => {
        const out: Pair<K, [V | null, W | null]>[] = [];
        for (const [key, [lefts, rights]] of groups) {
          if (lefts.length === 0) {
            if (keepLeftMissing) for (const r of rights) out.push([key, [null, r]]);
          } else if (rights.length === 0) {
            if (keepRightMissing) for (const l of lefts) out.push([key, [l, null]]);
          } else {
            for (const l of lefts) for (const r of rights) out.push([key, [l, r]]);
          }
        }
        return out;
      },
      true,
    );
  }

  /** Creates a node in the right id scope and wraps it, passing the action runner down. */
  private derive<U>(make: () => LineageNode<U>): RDD<U> {
    const node = currentScope() || !this.runner ? make() : withScope(this.runner.scope, make);
    return new RDD(node, this.runner);
  }
}

function combineLocally<K, V, C>(rows: Pair<K, V>[], aggregator: Aggregator<V, C>): Pair<K, C>[] {
  const combined = new Map<unknown, Pair<K, C>>();
  for (const [key, value] of rows) {
    const id = keyIdentity(key);
    const entry = combined.get(id);
    if (entry === undefined) combined.set(id, [key, aggregator.createCombiner(value)]);
    else entry[1] = aggregator.mergeValue(entry[1], value);
  }
  return Array.from(combined.values());
}

export function checkPartitions(partitions: number, operator: string): void {
  if (!Number.isInteger(partitions) || partitions <= 0) {
    throw new ConfigError(
      `${operator}: partitions must be a positive whole number, got ${partitions}; pass e.g. 4 or leave it out for the default`,
      { operator, partitions },
    );
  }
}
