import { narrowed, type Pair, type RDD, reducedByKey } from './rdd-base';

/**
 * Set operations (Spark's distinct, subtract, intersection). Rows are compared as keys are: by value,
 * objects and arrays by content (`{a, b}` equals `{b, a}`), the way reduceByKey groups them.
 */
export class SetOperations {
  /** Each distinct row once; the first occurrence in partition order is the one kept. */
  distinct<T>(this: RDD<T>, partitions?: number): RDD<T> {
    const keyed = this.map((row): Pair<T, null> => [row, null]);
    return reducedByKey(keyed, 'distinct', (a) => a, partitions).map((pair) => pair[0]);
  }

  /** The rows of this dataset that are not in `other`, duplicates kept (as Spark's subtract). */
  subtract<T>(this: RDD<T>, other: RDD<T>, partitions?: number): RDD<T> {
    return narrowed(
      selfKeyed(this).cogroup(selfKeyed(other), partitions ?? this.numPartitions),
      'subtract',
      (groups) => {
        const kept: T[] = [];
        for (const [, [mine, theirs]] of groups) if (theirs.length === 0) kept.push(...mine);
        return kept;
      },
    );
  }

  /** The distinct rows that are in both datasets (as Spark's intersection, no duplicates). */
  intersection<T>(this: RDD<T>, other: RDD<T>, partitions?: number): RDD<T> {
    const count = partitions ?? Math.max(this.numPartitions, other.numPartitions);
    return narrowed(selfKeyed(this).cogroup(selfKeyed(other), count), 'intersection', (groups) => {
      const kept: T[] = [];
      for (const [, [mine, theirs]] of groups) if (mine.length > 0 && theirs.length > 0) kept.push(mine[0]);
      return kept;
    });
  }
}

/** Each row as its own key, the row itself kept as the value (keys of equal content may differ in form). */
function selfKeyed<T>(rdd: RDD<T>): RDD<Pair<T, T>> {
  return rdd.map((row): Pair<T, T> => [row, row]);
}
