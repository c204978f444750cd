import { ConfigError } from '../util/errors';
import { EmptyCollectionError } from './errors';
import { type Compare, compareValues, reversed, totalOrder } from './ordering';
import { actionRunner, narrowed, type RDD } from './rdd-base';
import { freshZero } from './zero-value';

/**
 * Actions that return values to driver code (foreachBatch, a batch job's driver, a snapshot query).
 * Each reduces every partition where the partition is computed and brings back one small result per
 * partition. Inside transform they throw ActionNotAvailableError: job code only builds lineage. They
 * check that synchronously (no `async` on the methods), so a call inside transform fails the batch
 * even when nobody awaits it.
 */
export class RDDActions {
  /** The number of rows. In job code, `stream.count()` gives a stream of counts instead. */
  count<T>(this: RDD<T>): Promise<number> {
    const runner = actionRunner(this, 'count()', 'use stream.count() for a stream of counts');
    const sizes = runner.collect(narrowed(this, 'count', (rows) => [rows.length]).node);
    return sizes.then((all) => all.reduce((a, b) => a + b, 0));
  }

  /**
   * All rows merged with an associative, commutative `f`; undefined for an empty RDD. (Spark throws on
   * an empty RDD; an empty batch is ordinary in a stream, so here the type asks the caller to handle it.)
   */
  reduce<T>(this: RDD<T>, f: (a: T, b: T) => T): Promise<T | undefined> {
    const runner = actionRunner(this, 'reduce()', 'use stream.reduce(f) for a stream of results');
    const partials = runner.collect(
      narrowed(this, 'reduce', (rows) => (rows.length === 0 ? [] : [rows.reduce(f)])).node,
    );
    return partials.then((all) => (all.length === 0 ? undefined : all.reduce(f)));
  }

  /** The first row in partition order; EmptyCollectionError when there is none (as Spark's first()). */
  first<T>(this: RDD<T>): Promise<T> {
    actionRunner(this, 'first()');
    return this.take(1).then((rows) => {
      if (rows.length > 0) return rows[0];
      throw new EmptyCollectionError(
        'first(): the RDD is empty (empty collection); check isEmpty() first or use take(1)',
        { node: this.node.id },
      );
    });
  }

  /** True when the RDD has no rows; computes partitions only until it finds one. */
  isEmpty<T>(this: RDD<T>): Promise<boolean> {
    actionRunner(this, 'isEmpty()');
    return this.take(1).then((rows) => rows.length === 0);
  }

  /**
   * Every partition folded into its own copy of `zero` with `seqOp`, and the partition results merged
   * with `combOp`, starting from another copy of `zero` (Spark's aggregate). `seqOp` may change its
   * accumulator in place; results travel from tasks, so they must be plain data.
   */
  aggregate<T, U>(
    this: RDD<T>,
    zero: U,
    seqOp: (accumulator: U, row: T) => U,
    combOp: (a: U, b: U) => U,
  ): Promise<U> {
    const runner = actionRunner(this, 'aggregate()', 'use aggregateByKey or mapPartitions to build an RDD');
    freshZero(zero, 'aggregate');
    const partials = runner.collect(
      narrowed(this, 'aggregate', (rows) => [rows.reduce(seqOp, freshZero(zero, 'aggregate'))]).node,
    );
    return partials.then((all) => all.reduce(combOp, freshZero(zero, 'aggregate')));
  }

  /** The `n` smallest rows by `compare` (default compareValues), smallest first; ties by compareValues. */
  takeOrdered<T>(this: RDD<T>, n: number, compare: Compare<T> = compareValues): Promise<T[]> {
    return smallest(this, 'takeOrdered', n, totalOrder(compare));
  }

  /** The `n` largest rows by `compare` (default compareValues), largest first: exactly takeOrdered's order reversed. */
  top<T>(this: RDD<T>, n: number, compare: Compare<T> = compareValues): Promise<T[]> {
    return smallest(this, 'top', n, reversed(totalOrder(compare)));
  }

  /**
   * Runs `fn` on every partition's rows, one partition after another, in driver code (the coordinator),
   * and resolves once all have run. For a side effect inside the tasks themselves (a connection per
   * partition), use `stream.foreachPartition` in job code.
   */
  foreachPartition<T>(
    this: RDD<T>,
    fn: (rows: T[], partition: number, time: number) => void | Promise<void>,
  ): Promise<void> {
    const runner = actionRunner(
      this,
      'foreachPartition()',
      'use stream.foreachPartition(fn), which runs in the tasks',
    );
    return runner.collect(this.glom().node).then(async (partitions) => {
      for (const [partition, rows] of partitions.entries()) await fn(rows, partition, this.time);
    });
  }
}

/** The `n` first rows by `order`: each partition keeps its own `n` first, the driver merges them. */
function smallest<T>(rdd: RDD<T>, action: string, n: number, order: Compare<T>): Promise<T[]> {
  if (!Number.isInteger(n) || n < 0) {
    throw new ConfigError(`${action}(n) needs a whole number n >= 0, got ${n}; pass e.g. ${action}(10)`, {
      n,
    });
  }
  const runner = actionRunner(rdd, `${action}()`, 'use sortBy and mapPartitions to build an RDD');
  const firsts = (rows: T[]) => [...rows].sort(order).slice(0, n);
  return runner.collect(narrowed(rdd, action, firsts).node).then(firsts);
}
