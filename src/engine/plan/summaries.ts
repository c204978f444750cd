/**
 * A summary of every partition of a dataset (its size, a sample of its keys), gathered into one row in
 * the batch's own lineage and handed to each partition of the dataset: what zipWithIndex and the range
 * partitioning of a sort need to know about partitions other than their own.
 */

import { ShuffledNode } from './nodes/shuffled-node';
import { SideInputNode } from './nodes/side-input-node';
import { derived, narrowed, type Pair, type RDD } from './rdd-base';

/** One partition, one row: `combine` of `summarize(rows, partition)` of every partition, in partition order. */
export function gatheredSummary<T, R, S>(
  rdd: RDD<T>,
  operator: string,
  summarize: (rows: T[], partition: number) => R,
  combine: (parts: R[]) => S,
): RDD<S> {
  const parts = narrowed(rdd, operator, (rows, partition) => [
    [partition, summarize(rows, partition)] as Pair<number, R>,
  ]);
  const gathered = derived(
    parts,
    () =>
      new ShuffledNode<Pair<number, R>>(operator, parts.node, { partitions: 1, partitionBy: 'roundRobin' }),
  );
  return narrowed(gathered, operator, (rows) => {
    const inOrder = [...rows].sort((a, b) => a[0] - b[0]);
    return [combine(inOrder.map((row) => row[1]))];
  });
}

/** Each partition of `rdd` transformed with the one row of `summary` (from gatheredSummary). */
export function withSummary<T, S, U>(
  rdd: RDD<T>,
  summary: RDD<S>,
  operator: string,
  fn: (rows: T[], summary: S, partition: number) => U[],
): RDD<U> {
  return derived(
    rdd,
    () =>
      new SideInputNode<T, S, U>(operator, rdd.node, summary.node, (rows, side, partition) =>
        fn(rows, side[0], partition),
      ),
  );
}
