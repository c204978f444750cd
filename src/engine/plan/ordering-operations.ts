import { mapStep } from './nodes/record-steps';
import { ShuffledNode } from './nodes/shuffled-node';
import { type Compare, compareValues, reversed, totalOrder } from './ordering';
import {
  type KeySample,
  rangeBounds,
  rangeOf,
  routingKeys,
  sampleKeys,
  sampleSize,
} from './range-partitioning';
import { checkPartitions, derived, narrowed, type Pair, type RDD, recorded } from './rdd-base';
import { gatheredSummary, withSummary } from './summaries';

export interface SortOptions<K> {
  /** Smallest first (default) or, with false, largest first. */
  ascending?: boolean;
  /** Partitions of the result (default: as many as the dataset has). */
  partitions?: number;
  /** The order of keys (default: compareValues, numbers numerically and strings by code unit). */
  compare?: Compare<K>;
}

/** Sorting (Spark's sortBy and OrderedRDDFunctions.sortByKey). */
export class OrderingOperations {
  /**
   * The rows ordered by `keyOf(row)`: partition 0 holds the first range of keys, partition 1 the next,
   * so reading the partitions in order (collect) reads the rows in order. Rows with equal keys are
   * ordered by the default order of the rows (compareValues), so the result never depends on the
   * input's partitioning; descending order is exactly the ascending order reversed.
   */
  sortBy<T, K>(this: RDD<T>, keyOf: (row: T) => K, options: SortOptions<K> = {}): RDD<T> {
    // Named sortBy in lineage, so an error in keyOf names the operation the user wrote.
    const keyed = recorded(
      this,
      'sortBy',
      mapStep((row: T): Pair<K, T> => [keyOf(row), row]),
    );
    const sorted = sortedByKey(keyed, 'sortBy', options, (pair) => pair[1]);
    return recorded(
      sorted,
      'sortBy',
      mapStep((pair: Pair<K, T>) => pair[1]),
    );
  }

  /** The pairs ordered by key, range-partitioned as `sortBy`; equal keys are ordered by the whole pair. */
  sortByKey<K, V>(this: RDD<Pair<K, V>>, options: SortOptions<K> = {}): RDD<Pair<K, V>> {
    return sortedByKey(this, 'sortByKey', options, (pair) => pair);
  }
}

/**
 * A sort as a range-partitioned shuffle. A sample of every partition's keys picks the bounds (a summary
 * in the batch's lineage, so it works inside transform too); each row travels to its range's partition;
 * each partition sorts what it received. The input is computed twice, once for the sample, as in Spark.
 */
function sortedByKey<K, V>(
  rdd: RDD<Pair<K, V>>,
  operator: string,
  options: SortOptions<K>,
  tieOf: (pair: Pair<K, V>) => unknown,
): RDD<Pair<K, V>> {
  const partitions = options.partitions ?? rdd.numPartitions;
  checkPartitions(partitions, operator);
  const ascending = options.ascending ?? true;
  const compare = options.compare ?? compareValues;
  const keyOrder = ascending ? compare : reversed(compare);
  // Descending is exactly the ascending order reversed, ties included.
  const ascendingRows = totalOrder<Pair<K, V>>((a, b) => compare(a[0], b[0]), tieOf);
  const rowOrder = ascending ? ascendingRows : reversed(ascendingRows);
  const routed =
    partitions === 1
      ? rdd.map((pair): Pair<number, Pair<K, V>> => [routingKeys(1)[0], pair])
      : routedByRange(rdd, operator, partitions, keyOrder);
  const shuffled = derived(
    routed,
    () =>
      new ShuffledNode<Pair<number, Pair<K, V>>>(operator, routed.node, { partitions, partitionBy: 'hash' }),
  );
  return narrowed(shuffled, operator, (rows) => rows.map((row) => row[1]).sort(rowOrder));
}

/** Each pair under the routing key of its key's range; the ranges follow `keyOrder`. */
function routedByRange<K, V>(
  rdd: RDD<Pair<K, V>>,
  operator: string,
  partitions: number,
  keyOrder: Compare<K>,
): RDD<Pair<number, Pair<K, V>>> {
  const size = sampleSize(partitions, rdd.numPartitions);
  const bounds = gatheredSummary(
    rdd,
    operator,
    (rows): KeySample<K> =>
      sampleKeys(
        rows.map((pair) => pair[0]),
        size,
      ),
    (samples) => rangeBounds(samples, partitions, keyOrder),
  );
  const keys = routingKeys(partitions);
  return withSummary(rdd, bounds, operator, (rows, ranges) =>
    rows.map((pair): Pair<number, Pair<K, V>> => [keys[rangeOf(pair[0], ranges, keyOrder)], pair]),
  );
}
