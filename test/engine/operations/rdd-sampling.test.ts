/**
 * sample (deterministic by seed and partition) and zipWithIndex (indices in partition order), inside
 * transform and in driver code.
 */
import { ManualClock, type Pair, StreamingContext } from '../../../src/engine';
import { runBatches } from '../../../src/engine/testing';
import { testOperation } from './helpers';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('sample', () => {
  it('keeps about the fraction asked for, each row at most once, without replacement', async () => {
    const [sampled] = await runBatches(
      [range(2000)],
      (s) => s.transform((rdd) => rdd.sample(false, 0.3, 11)),
      {
        partitions: 4,
      },
    );
    expect(sampled.length).toBeGreaterThan(480);
    expect(sampled.length).toBeLessThan(720);
    expect(new Set(sampled).size).toBe(sampled.length);
    for (const x of sampled) expect(x).toBeGreaterThanOrEqual(0);
  });

  it('with replacement may repeat rows, about `fraction` times each on average', async () => {
    const [sampled] = await runBatches([range(1000)], (s) => s.transform((rdd) => rdd.sample(true, 2, 5)), {
      partitions: 3,
    });
    expect(sampled.length).toBeGreaterThan(1800);
    expect(sampled.length).toBeLessThan(2200);
    expect(new Set(sampled).size).toBeLessThan(sampled.length);
  });

  it('gives the same rows for the same seed, run after run, and other rows for another seed', async () => {
    const sample = (seed: number) =>
      runBatches([range(300), range(300)], (s) => s.transform((rdd) => rdd.sample(false, 0.5, seed)), {
        partitions: 3,
      });
    const first = await sample(42);
    expect(await sample(42)).toEqual(first);
    expect(await sample(43)).not.toEqual(first);
  });

  it('a partition computed twice in one batch keeps the same rows both times', async () => {
    const [rows] = await runBatches(
      [range(500)],
      (s) =>
        s.transform((rdd) => {
          const sampled = rdd.sample(false, 0.5, 3);
          // Two shuffles over the sample: each computes its partitions on its own.
          return sampled
            .distinct(2)
            .subtract(sampled.repartition(3))
            .map(() => 'leftover');
        }),
      { partitions: 2 },
    );
    expect(rows).toEqual([]);
  });

  it('fraction 0 keeps nothing and fraction 1 keeps everything', async () => {
    await testOperation(
      [[1, 2, 3]],
      (s) => s.transform((rdd) => rdd.sample(false, 0, 1).union(rdd.sample(false, 1, 1))),
      [[1, 2, 3]],
    );
  });

  it('refuses a fraction outside its range, saying what is allowed', async () => {
    await expect(runBatches([[1]], (s) => s.transform((rdd) => rdd.sample(false, 1.5, 1)))).rejects.toThrow(
      /fraction must be between 0 and 1 without replacement, got 1.5/,
    );
    await expect(runBatches([[1]], (s) => s.transform((rdd) => rdd.sample(true, -1, 1)))).rejects.toThrow(
      /fraction must be a finite number >= 0 with replacement/,
    );
  });
});

describe('zipWithIndex', () => {
  it('numbers rows 0, 1, 2 ... in partition order, across partitions of different sizes', async () => {
    const inputs = [range(23).map((i) => i * 10), [], [7]];
    await testOperation(
      inputs,
      (s) => s.filter((x) => x % 3 !== 0).transform((rdd) => rdd.zipWithIndex()),
      inputs.map((b) => b.filter((x) => x % 3 !== 0).map((x, i) => [x, i] as Pair<number, number>)),
      { partitions: 4 },
    );
  });

  it('after a sort, gives every row its rank', async () => {
    await testOperation(
      [['d', 'a', 'c', 'b', 'e']],
      (s) => s.transform((rdd) => rdd.sortBy((w) => w, { partitions: 3 }).zipWithIndex()),
      [
        [
          ['a', 0],
          ['b', 1],
          ['c', 2],
          ['d', 3],
          ['e', 4],
        ],
      ],
    );
  });

  it('works on an RDD in driver code (foreachBatch)', async () => {
    const seen: Pair<string, number>[][] = [];
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 3, name: 'zip' });
    ssc.queueStream([['x', 'y', 'z', 'w'], []]).foreachBatch(async (rdd) => {
      seen.push(await rdd.zipWithIndex().collect());
    });
    ssc.start({ clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: 2 });
    await ssc.awaitTermination();
    expect(seen).toEqual([
      [
        ['x', 0],
        ['y', 1],
        ['z', 2],
        ['w', 3],
      ],
      [],
    ]);
  });
});
