import { ConfigError } from '../util/errors';
import { hashKey } from '../util/hash';
import { seededRandom } from '../util/seeded-random';
import { narrowed, type Pair, type RDD } from './rdd-base';
import { gatheredSummary, withSummary } from './summaries';

/** Sampling and numbering rows (Spark's sample and zipWithIndex). */
export class SampleOperations {
  /**
   * A random sample: each row is kept with probability `fraction` (without replacement), or appears a
   * Poisson(`fraction`) number of times (with replacement, where `fraction` may exceed 1). The choice
   * depends only on `seed`, the partition index and the row's position in it, so a recomputed partition
   * (a retry, a speculative copy, recovery) keeps exactly the same rows.
   */
  sample<T>(this: RDD<T>, withReplacement: boolean, fraction: number, seed: number): RDD<T> {
    checkFraction(withReplacement, fraction);
    if (!Number.isFinite(seed)) {
      throw new ConfigError(
        `sample: seed must be a finite number, got ${seed}; pass e.g. sample(false, 0.1, 42)`,
        {
          seed,
        },
      );
    }
    return narrowed(
      this,
      'sample',
      (rows, partition) => {
        const random = seededRandom(hashKey(['sample', seed, partition]));
        const kept: T[] = [];
        for (const row of rows) {
          const times = withReplacement ? poisson(fraction, random) : random() < fraction ? 1 : 0;
          for (let i = 0; i < times; i++) kept.push(row);
        }
        return kept;
      },
      true,
    );
  }

  /**
   * Each row with its index: `[row, index]`, numbered 0, 1, 2 ... in partition order (rows of
   * partition 0 first). The sizes of earlier partitions come from a summary in the batch's lineage, so
   * it works inside transform as well as in driver code; the input is computed twice unless it has one
   * partition, as in Spark.
   */
  zipWithIndex<T>(this: RDD<T>): RDD<Pair<T, number>> {
    const numbered = (rows: T[], first: number) => rows.map((row, i): Pair<T, number> => [row, first + i]);
    if (this.numPartitions === 1) return narrowed(this, 'zipWithIndex', (rows) => numbered(rows, 0));
    const offsets = gatheredSummary(
      this,
      'zipWithIndex',
      (rows) => rows.length,
      (sizes) => {
        const starts: number[] = [];
        let next = 0;
        for (const size of sizes) {
          starts.push(next);
          next += size;
        }
        return starts;
      },
    );
    return withSummary(this, offsets, 'zipWithIndex', (rows, starts, partition) =>
      numbered(rows, starts[partition]),
    );
  }
}

function checkFraction(withReplacement: boolean, fraction: number): void {
  const ok = Number.isFinite(fraction) && fraction >= 0 && (withReplacement || fraction <= 1);
  if (ok) return;
  const range = withReplacement ? 'a finite number >= 0' : 'between 0 and 1';
  throw new ConfigError(
    `sample: fraction must be ${range} ${withReplacement ? 'with' : 'without'} replacement, got ${fraction}; ` +
      'pass e.g. sample(false, 0.1, 42) to keep about one row in ten',
    { fraction, withReplacement },
  );
}

/** A Poisson(mean) draw by Knuth's method, in steps of at most 16 so exp(-step) never underflows. */
function poisson(mean: number, random: () => number): number {
  let total = 0;
  for (let left = mean; left > 0; left -= 16) {
    const limit = Math.exp(-Math.min(left, 16));
    let product = random();
    while (product > limit) {
      total++;
      product *= random();
    }
  }
  return total;
}
