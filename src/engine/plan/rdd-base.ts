/** The RDD class (transformations, actions) and the lineage helpers every RDD operation builds with. */
import { ConfigError } from '../util/errors';
import { keyIdentity } from '../util/hash';
import { ActionNotAvailableError } from './errors';
import type { Aggregator, LineageNode } from './lineage';
import { NarrowNode, type PartitionFunction } from './nodes/narrow-node';
import { type FusedStep, RecordNode } from './nodes/record-node';
import {
  countOneStep,
  filterStep,
  flatMapStep,
  mapStep,
  refuseAsyncFunction,
  refusePromise,
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
 *
 * This file holds what every dataset has and the lineage helpers all operations build with; the pair,
 * ordering, set and sampling operations and the value actions (count, reduce, first ...) are added to
 * this class by `./rdd`, which is where RDD is imported from.
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
    return recorded(this, 'map', mapStep(f));
  }

  flatMap<U>(f: (value: T) => Iterable<U>): RDD<U> {
    return recorded(this, 'flatMap', flatMapStep(f));
  }

  filter(predicate: (value: T) => boolean): RDD<T> {
    return recorded(this, 'filter', filterStep(predicate), true);
  }

  /** `f` sees a whole partition (and its index) and returns the partition's new rows. */
  mapPartitions<U>(f: (rows: T[], partition: number) => Iterable<U>): RDD<U> {
    refuseAsyncFunction('mapPartitions', f);
    return narrowed(this, 'mapPartitions', (rows, partition) => {
      const produced = f(rows, partition);
      refusePromise('mapPartitions', produced);
      return Array.isArray(produced) ? produced : Array.from(produced);
    });
  }

  /** Each partition becomes one row: the array of its rows. */
  glom(): RDD<T[]> {
    return narrowed(this, 'glom', (rows) => [rows]);
  }

  union(...others: RDD<T>[]): RDD<T> {
    return derived(this, () => new UnionNode([this.node, ...others.map((o) => o.node)]));
  }

  /** Redistributes rows evenly over `partitions` partitions (a shuffle). */
  repartition(partitions: number): RDD<T> {
    checkPartitions(partitions, 'repartition');
    return derived(
      this,
      () => new ShuffledNode<T>('repartition', this.node, { partitions, partitionBy: 'roundRobin' }),
    );
  }

  /** `[value, occurrences]` for every distinct value. */
  countByValue(partitions?: number): RDD<Pair<T, number>> {
    const ones = recorded(this, 'countByValue', countOneStep<T>());
    return reducedByKey(ones, 'countByValue', (a, b) => a + b, partitions ?? this.numPartitions);
  }

  /** Every row, in partition order. An action: only available on RDDs handed to `foreachBatch`. */
  collect(): Promise<T[]> {
    return actionRunner(this, 'collect()').collect(this.node);
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
    return actionRunner(this, 'take()').take(this.node, n);
  }
}

/**
 * The runner of an action on `rdd`, or an ActionNotAvailableError naming `action`. Thrown, not rejected:
 * inside transform nobody awaits, and the batch must fail, not commit.
 */
export function actionRunner<T>(
  rdd: RDD<T>,
  action: string,
  hint = 'return a new RDD instead',
): ActionRunner {
  if (rdd.runner) return rdd.runner;
  throw new ActionNotAvailableError(
    `${action} runs the batch, so it is only available in driver code (foreachBatch); inside transform, ${hint}`,
    { node: rdd.node.id, action },
  );
}

/** One row per batch: the number of rows (0 for an empty batch). The lineage form of `count()`. */
export function countRdd<T>(rdd: RDD<T>): RDD<number> {
  const counts = rdd.mapPartitions((rows) => [[0, rows.length] as Pair<number, number>]);
  return reducedByKey(counts, 'count', (a, b) => a + b, 1).map((pair) => pair[1]);
}

/** At most one row: all rows reduced with `f` (no row for an empty batch). The lineage form of `reduce()`. */
export function reduceRdd<T>(rdd: RDD<T>, f: (a: T, b: T) => T): RDD<T> {
  const reduced = rdd.mapPartitions((rows) =>
    rows.length === 0 ? [] : [[0, rows.reduce(f)] as Pair<number, T>],
  );
  return reducedByKey(reduced, 'reduce', f, 1).map((pair) => pair[1]);
}

/** Creates a node in the right id scope and wraps it, passing the action runner down. */
export function derived<T, U>(rdd: RDD<T>, make: () => LineageNode<U>): RDD<U> {
  const node = currentScope() || !rdd.runner ? make() : withScope(rdd.runner.scope, make);
  return new RDD(node, rdd.runner);
}

/** A per-record operator, fused with its neighbours into one chain per partition. */
export function recorded<T, U>(
  rdd: RDD<T>,
  operator: string,
  step: FusedStep<T, U>,
  preservesPartitioning = false,
): RDD<U> {
  return derived(rdd, () => new RecordNode(operator, rdd.node, step, preservesPartitioning));
}

/** An operator over whole partitions. */
export function narrowed<T, U>(
  rdd: RDD<T>,
  operator: string,
  fn: PartitionFunction<T, U>,
  preservesPartitioning = false,
): RDD<U> {
  return derived(rdd, () => new NarrowNode(operator, rdd.node, fn, preservesPartitioning));
}

/** Values of each key merged with `f`, combining on the map side first. */
export function reducedByKey<K, V>(
  rdd: RDD<Pair<K, V>>,
  operator: string,
  f: (a: V, b: V) => V,
  partitions?: number,
): RDD<Pair<K, V>> {
  return shuffledByKey(
    rdd,
    operator,
    { createCombiner: (v) => v, mergeValue: f, mergeCombiners: f },
    true,
    partitions,
  );
}

/** Rows hash-partitioned by key and aggregated per key; no shuffle if already partitioned that way. */
export function shuffledByKey<K, V, C>(
  rdd: RDD<Pair<K, V>>,
  operator: string,
  aggregator: Aggregator<V, C>,
  mapSideCombine: boolean,
  partitions?: number,
): RDD<Pair<K, C>> {
  const count = partitions ?? rdd.numPartitions;
  checkPartitions(count, operator);
  if (rdd.node.partitioner?.partitions === count) {
    // Already partitioned by key the same way: combine within each partition, no shuffle.
    return narrowed(rdd, operator, (rows) => combineLocally(rows, aggregator), true);
  }
  return derived(
    rdd,
    () =>
      new ShuffledNode<Pair<K, C>>(operator, rdd.node, {
        partitions: count,
        partitionBy: 'hash',
        aggregator: aggregator as Aggregator<unknown, unknown>,
        mapSideCombine,
      }),
  );
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
