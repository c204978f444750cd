import { type ShuffleDependency, UserFunctionError } from '../plan';
import { keyIdentity, partitionOf } from '../util/hash';

/** Splits one map partition's rows into the reduce buckets of `dep`, combining per key when asked. */
export function bucketRows(dep: ShuffleDependency, rows: unknown[], mapPartition: number): unknown[][] {
  const buckets: unknown[][] = Array.from({ length: dep.partitions }, () => []);
  if (dep.partitionBy === 'roundRobin') {
    // Start where the partition index says so that small partitions do not all pile into bucket 0.
    for (let i = 0; i < rows.length; i++) buckets[(mapPartition + i) % dep.partitions].push(rows[i]);
    return buckets;
  }
  const pairs = rows as [unknown, unknown][];
  if (!dep.mapSideCombine) {
    for (let i = 0; i < pairs.length; i++) buckets[partitionOf(pairs[i][0], dep.partitions)].push(pairs[i]);
    return buckets;
  }
  const combined = combine(dep, pairs, mapPartition);
  for (const entry of combined.values()) buckets[partitionOf(entry[0], dep.partitions)].push(entry);
  return buckets;
}

function combine(dep: ShuffleDependency, pairs: [unknown, unknown][], mapPartition: number) {
  const aggregator = dep.mapSideCombine!;
  const combined = new Map<unknown, [unknown, unknown]>();
  try {
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      const id = keyIdentity(pair[0]);
      const entry = combined.get(id);
      if (entry === undefined) combined.set(id, [pair[0], aggregator.createCombiner(pair[1])]);
      else entry[1] = aggregator.mergeValue(entry[1], pair[1]);
    }
  } catch (error) {
    throw new UserFunctionError(dep.operator, dep.id, mapPartition, error);
  }
  return combined;
}
