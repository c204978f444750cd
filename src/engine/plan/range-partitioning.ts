/**
 * Range partitioning for sorts: bounds chosen from a sample of the keys so that partitions get similar
 * numbers of rows, and the partition a key belongs to. Everything here is a pure function of the rows,
 * so every task that rebuilds the bounds gets the same ones.
 */
import { partitionOf } from '../util/hash';
import type { Compare } from './ordering';

/** What one partition tells the bound chooser: its size and an evenly spread sample of its keys. */
export interface KeySample<K> {
  rows: number;
  keys: K[];
}

/** Keys of a partition to sample: Spark's 20 per output partition, spread over the input partitions. */
export function sampleSize(outputPartitions: number, inputPartitions: number): number {
  return Math.ceil((3 * 20 * outputPartitions) / Math.max(1, inputPartitions));
}

/** Every `rows/size`-th key, in partition order: cheap, deterministic, and spread over the partition. */
export function sampleKeys<K>(keys: readonly K[], size: number): KeySample<K> {
  if (keys.length <= size) return { rows: keys.length, keys: [...keys] };
  const picked: K[] = [];
  for (let i = 0; i < size; i++) picked.push(keys[Math.floor((i * keys.length) / size)]);
  return { rows: keys.length, keys: picked };
}

/**
 * Up to `partitions - 1` ascending bounds: partition i holds the keys above bound i-1 and at most bound
 * i. Each sampled key stands for `rows / sampled` keys of its partition, so a large partition with a
 * small sample still weighs what it holds. Equal keys never straddle a bound.
 */
export function rangeBounds<K>(
  samples: readonly KeySample<K>[],
  partitions: number,
  compare: Compare<K>,
): K[] {
  const weighted: [K, number][] = [];
  let total = 0;
  for (const sample of samples) {
    if (sample.keys.length === 0) continue;
    const weight = sample.rows / sample.keys.length;
    for (const key of sample.keys) weighted.push([key, weight]);
    total += sample.rows;
  }
  weighted.sort((a, b) => compare(a[0], b[0]));
  const step = total / partitions;
  const bounds: K[] = [];
  let cumulative = 0;
  for (const [key, weight] of weighted) {
    cumulative += weight;
    if (bounds.length === partitions - 1) break;
    if (cumulative < step * (bounds.length + 1)) continue;
    if (bounds.length > 0 && compare(key, bounds[bounds.length - 1]) <= 0) continue;
    bounds.push(key);
  }
  return bounds;
}

/** The range of `key`: the first bound it does not exceed, or past the last bound. */
export function rangeOf<K>(key: K, bounds: readonly K[], compare: Compare<K>): number {
  let low = 0;
  let high = bounds.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(key, bounds[middle]) <= 0) high = middle;
    else low = middle + 1;
  }
  return low;
}

const routingKeysByCount = new Map<number, number[]>();

/**
 * For each of `partitions` partitions, an integer key that hash partitioning places there. The shuffle
 * writer places `[key, row]` pairs by key hash; routing each row under the key of its range sends it
 * to that partition with the shuffle the engine already has.
 */
export function routingKeys(partitions: number): number[] {
  const known = routingKeysByCount.get(partitions);
  if (known) return known;
  const keys: number[] = new Array(partitions);
  let found = 0;
  for (let candidate = 0; found < partitions; candidate++) {
    const partition = partitionOf(candidate, partitions);
    if (keys[partition] === undefined) {
      keys[partition] = candidate;
      found++;
    }
  }
  routingKeysByCount.set(partitions, keys);
  return keys;
}
