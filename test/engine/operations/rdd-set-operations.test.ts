/**
 * distinct, subtract, intersection, aggregateByKey and foldByKey inside transform, in the Spark style.
 */
import type { Pair } from '../../../src/engine';
import { runBatches2 } from '../../../src/engine/testing';
import { sortedMultiset, testOperation, testOperation2 } from './helpers';

describe('distinct', () => {
  it('keeps every distinct row once per batch', async () => {
    await testOperation(
      [[3, 1, 3, 2, 1], [], [7, 7]],
      (s) => s.transform((rdd) => rdd.distinct()),
      [[1, 2, 3], [], [7]],
      { useSet: true, partitions: 3 },
    );
  });

  it('treats objects with the same content as the same row, keeping the first seen', async () => {
    await testOperation(
      [[{ a: 1, b: 2 }, { b: 2, a: 1 }, { a: 2 }]] as Record<string, number>[][],
      (s) => s.transform((rdd) => rdd.distinct(1)),
      [[{ a: 1, b: 2 }, { a: 2 }]],
      { useSet: true },
    );
  });

  it('keeps 1 and "1" apart', async () => {
    await testOperation(
      [[1, '1', 1, '1']] as (number | string)[][],
      (s) => s.transform((rdd) => rdd.distinct()),
      [[1, '1']],
      { useSet: true },
    );
  });
});

describe('subtract and intersection', () => {
  it('subtract keeps rows of the first stream that the second lacks, duplicates included', async () => {
    await testOperation2(
      [[1, 2, 2, 3, 4], [5]],
      [[2, 4, 9], []],
      (a, b) => a.transformWith(b, (x, y) => x.subtract(y)),
      [[1, 3], [5]],
      { useSet: true },
    );
  });

  it('intersection keeps each row found in both once', async () => {
    await testOperation2(
      [[1, 2, 2, 3, 4], [5]],
      [[2, 2, 4, 9], []],
      (a, b) => a.transformWith(b, (x, y) => x.intersection(y)),
      [[2, 4], []],
      { useSet: true },
    );
  });

  it('subtract and intersection take the number of result partitions', async () => {
    const out = await runBatches2([[1, 2, 3]], [[2]], (a, b) =>
      a.transformWith(b, (x, y) => x.subtract(y, 4).glom().union(x.intersection(y, 3).glom())),
    );
    expect(out[0]).toHaveLength(7);
    expect(sortedMultiset(out[0].flat())).toEqual([1, 2, 3]);
  });
});

describe('aggregateByKey and foldByKey', () => {
  const pairs = [
    ['a', 1],
    ['b', 5],
    ['a', 3],
    ['a', 2],
    ['b', 4],
  ] as Pair<string, number>[];

  it('aggregateByKey folds values into a zero per key and merges partitions with combOp', async () => {
    await testOperation(
      [pairs, []],
      (s) =>
        s.transform((rdd) =>
          rdd.aggregateByKey(
            { sum: 0, count: 0 },
            (acc, v) => ({ sum: acc.sum + v, count: acc.count + 1 }),
            (x, y) => ({ sum: x.sum + y.sum, count: x.count + y.count }),
          ),
        ),
      [
        [
          ['a', { sum: 6, count: 3 }],
          ['b', { sum: 9, count: 2 }],
        ],
        [],
      ],
      { useSet: true, partitions: 3 },
    );
  });

  it('aggregateByKey gives every key its own zero, so an accumulator changed in place does not leak', async () => {
    await testOperation(
      [pairs],
      (s) =>
        s.transform((rdd) =>
          rdd
            .aggregateByKey(
              [] as number[],
              (acc, v) => {
                acc.push(v);
                return acc;
              },
              (x, y) => x.concat(y),
            )
            .mapValues((vs) => [...vs].sort()),
        ),
      [
        [
          ['a', [1, 2, 3]],
          ['b', [4, 5]],
        ],
      ],
      { useSet: true, partitions: 2 },
    );
  });

  it('foldByKey folds the values of each key from the zero value', async () => {
    await testOperation(
      [pairs],
      (s) => s.transform((rdd) => rdd.foldByKey(1, (x, y) => x * y, 2)),
      [
        [
          ['a', 6],
          ['b', 20],
        ],
      ],
      { useSet: true, partitions: 3 },
    );
  });

  it('refuses a zero value that cannot be copied, naming the operation', async () => {
    await expect(
      testOperation(
        [pairs],
        (s) =>
          s.transform((rdd) =>
            rdd.aggregateByKey(
              { f: () => 1 },
              (acc) => acc,
              (x) => x,
            ),
          ),
        [[]],
      ),
    ).rejects.toThrow(/aggregateByKey: the zero value cannot be copied/);
  });
});
