/**
 * sortBy and sortByKey inside transform (lineage only): the global order read in partition order,
 * range partitions, descending order, custom comparators, deterministic ties, and bad options.
 */
import { ManualClock, type Pair, StreamingContext } from '../../../src/engine';
import { compareValues } from '../../../src/engine/plan';
import { runBatches } from '../../../src/engine/testing';
import { testOperation } from './helpers';

describe('sortBy', () => {
  it('orders every batch by the key, read in partition order', async () => {
    await testOperation(
      [[5, 3, 9, 1, 7, 2], [], [4, 4, 0]],
      (s) => s.transform((rdd) => rdd.sortBy((x) => x)),
      [[1, 2, 3, 5, 7, 9], [], [0, 4, 4]],
      { partitions: 3 },
    );
  });

  it('sorts largest first with ascending: false, exactly the ascending order reversed', async () => {
    await testOperation(
      [['pear', 'fig', 'apple', 'kiwi']],
      (s) => s.transform((rdd) => rdd.sortBy((w) => w.length, { ascending: false })),
      [['apple', 'pear', 'kiwi', 'fig']],
    );
  });

  it('range-partitions the result: each partition holds a contiguous range of keys', async () => {
    const values = Array.from({ length: 200 }, (_, i) => (i * 37) % 200);
    const [partitions] = await runBatches(
      [values],
      (s) => s.transform((rdd) => rdd.sortBy((x) => x, { partitions: 4 }).glom()),
      { partitions: 3 },
    );
    expect(partitions).toHaveLength(4);
    expect(partitions.flat()).toEqual([...values].sort((a, b) => a - b));
    // Bounds come from a sample, so sizes are only roughly even; but no partition is left with nothing.
    for (const part of partitions) expect(part.length).toBeGreaterThan(0);
  });

  it('orders rows with equal keys by their content, whatever the input order and partitioning', async () => {
    const rows = [
      { id: 'b', n: 1 },
      { id: 'a', n: 1 },
      { id: 'c', n: 0 },
      { id: 'a', n: 0 },
    ];
    const sortedFrom = async (input: typeof rows, partitions: number) =>
      (await runBatches([input], (s) => s.transform((rdd) => rdd.sortBy((r) => r.n)), { partitions }))[0];
    const expected = [
      { id: 'a', n: 0 },
      { id: 'c', n: 0 },
      { id: 'a', n: 1 },
      { id: 'b', n: 1 },
    ];
    expect(await sortedFrom(rows, 1)).toEqual(expected);
    expect(await sortedFrom([...rows].reverse(), 3)).toEqual(expected);
  });

  it('takes a comparator for keys the default order does not suit', async () => {
    const byLength = (a: string, b: string) => a.length - b.length;
    await testOperation(
      [['ccc', 'a', 'bb', 'dddd']],
      (s) => s.transform((rdd) => rdd.sortBy((w) => w, { compare: byLength, ascending: false })),
      [['dddd', 'ccc', 'bb', 'a']],
    );
  });

  it('sorts mixed keys by type, then value: numbers before strings, NaN after numbers', async () => {
    await testOperation(
      [[10, 'b', Number.NaN, 2, 'a', -1]],
      (s) => s.transform((rdd) => rdd.sortBy((x) => x)),
      [[-1, 2, 10, Number.NaN, 'a', 'b']],
    );
  });

  it('refuses a partition count that is not a positive whole number', async () => {
    await expect(
      runBatches([[1]], (s) => s.transform((rdd) => rdd.sortBy((x) => x, { partitions: 0 }))),
    ).rejects.toThrow(/sortBy: partitions must be a positive whole number, got 0/);
  });
});

describe('sortByKey', () => {
  it('orders pairs by key; equal keys by value', async () => {
    await testOperation(
      [
        [
          ['b', 2],
          ['a', 9],
          ['b', 1],
          ['c', 0],
          ['a', 3],
        ],
      ] as Pair<string, number>[][],
      (s) => s.transform((rdd) => rdd.sortByKey()),
      [
        [
          ['a', 3],
          ['a', 9],
          ['b', 1],
          ['b', 2],
          ['c', 0],
        ],
      ],
      { partitions: 2 },
    );
  });

  it('sorts tuple keys element by element', async () => {
    await testOperation(
      [
        [
          [[2, 'a'], 1],
          [[1, 'b'], 2],
          [[1, 'a'], 3],
        ],
      ] as Pair<[number, string], number>[][],
      (s) => s.transform((rdd) => rdd.sortByKey({ ascending: false, partitions: 2 })),
      [
        [
          [[2, 'a'], 1],
          [[1, 'b'], 2],
          [[1, 'a'], 3],
        ],
      ],
    );
  });

  it('keeps keys that compare equal in one partition, next to each other', async () => {
    const pairs: Pair<number, number>[] = Array.from({ length: 60 }, (_, i) => [i % 3, i]);
    const [partitions] = await runBatches(
      [pairs],
      (s) => s.transform((rdd) => rdd.sortByKey({ partitions: 5 }).glom()),
      { partitions: 4 },
    );
    const partitionOfKey = new Map<number, Set<number>>();
    partitions.forEach((part, p) => {
      for (const [k] of part) partitionOfKey.set(k, (partitionOfKey.get(k) ?? new Set()).add(p));
    });
    for (const places of partitionOfKey.values()) expect(places.size).toBe(1);
    expect(partitions.flat()).toEqual([...pairs].sort((a, b) => compareValues(a[0], b[0]) || a[1] - b[1]));
  });
});

describe('sorting in driver code', () => {
  it('sortBy on the RDD handed to foreachBatch, also after an await', async () => {
    const seen: number[][] = [];
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 3, name: 'driver-sort' });
    ssc.queueStream([[5, 1, 4, 2, 3], []]).foreachBatch(async (rdd) => {
      seen.push(await rdd.sortBy((x) => x, { ascending: false }).collect());
      await rdd.count();
      seen.push(await rdd.sortBy((x) => x % 2, { partitions: 2 }).collect());
    });
    ssc.start({ clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: 2 });
    await ssc.awaitTermination();
    expect(seen).toEqual([[5, 4, 3, 2, 1], [2, 4, 1, 3, 5], [], []]);
  });
});

describe('errors in user functions while sorting', () => {
  it('a row whose key function throws is isolated like a failing map, and the rest is sorted', async () => {
    const out = await runBatches([[3, 2, 1]], (s) =>
      s.transform((rdd) =>
        rdd.sortBy((x) => {
          if (x === 2) throw new Error('no key for 2');
          return x;
        }),
      ),
    );
    expect(out).toEqual([[1, 3]]);
  });

  it('a comparator that throws fails the batch naming sortByKey', async () => {
    await expect(
      runBatches(
        [
          [
            ['a', 1],
            ['b', 2],
          ] as Pair<string, number>[],
        ],
        (s) =>
          s.transform((rdd) =>
            rdd.sortByKey({
              compare: () => {
                throw new Error('cannot compare');
              },
            }),
          ),
      ),
    ).rejects.toThrow(/sortByKey failed on partition \d+ .*cannot compare/);
  });
});
