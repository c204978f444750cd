import { type ShuffleDependency, type TaskContext, UserFunctionError } from '../plan';
import { keyIdentity, partitionOf } from '../util/hash';

/**
 * Computes one map partition of `dep` and splits its rows into reduce buckets, combining values per key
 * when the dependency asks for it. Rows are consumed as they are produced, never gathered first.
 */
export async function bucketPartition(
  dep: ShuffleDependency,
  mapPartition: number,
  ctx: TaskContext,
): Promise<{ buckets: unknown[][]; rows: number }> {
  const writer = bucketWriter(dep, mapPartition);
  await dep.parent.forEach(mapPartition, ctx, writer.add);
  return { buckets: writer.finish(), rows: writer.count() };
}

/** Same bucketing over rows already in memory (tests, driver-side code). */
export function bucketRows(dep: ShuffleDependency, rows: unknown[], mapPartition: number): unknown[][] {
  const writer = bucketWriter(dep, mapPartition);
  for (let i = 0; i < rows.length; i++) writer.add(rows[i]);
  return writer.finish();
}

interface BucketWriter {
  add: (row: unknown) => void;
  finish: () => unknown[][];
  count: () => number;
}

function bucketWriter(dep: ShuffleDependency, mapPartition: number): BucketWriter {
  const partitions = dep.partitions;
  const buckets: unknown[][] = Array.from({ length: partitions }, () => []);
  let rows = 0;
  if (dep.partitionBy === 'roundRobin') {
    // Start where the partition index says, so that small partitions do not all pile into bucket 0.
    return {
      add: (row) => {
        buckets[(mapPartition + rows++) % partitions].push(row);
      },
      finish: () => buckets,
      count: () => rows,
    };
  }
  const aggregator = dep.mapSideCombine;
  if (!aggregator) {
    return {
      add: (row) => {
        rows++;
        buckets[partitionOf((row as [unknown, unknown])[0], partitions)].push(row);
      },
      finish: () => buckets,
      count: () => rows,
    };
  }
  const combined = new Map<unknown, [unknown, unknown]>();
  return {
    add: (row) => {
      rows++;
      const pair = row as [unknown, unknown];
      const id = keyIdentity(pair[0]);
      const entry = combined.get(id);
      try {
        if (entry === undefined) combined.set(id, [pair[0], aggregator.createCombiner(pair[1])]);
        else entry[1] = aggregator.mergeValue(entry[1], pair[1]);
      } catch (error) {
        throw new UserFunctionError(dep.operator, dep.id, mapPartition, error);
      }
    },
    finish: () => {
      for (const entry of combined.values()) buckets[partitionOf(entry[0], partitions)].push(entry);
      return buckets;
    },
    count: () => rows,
  };
}
