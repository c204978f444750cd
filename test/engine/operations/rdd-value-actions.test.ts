/**
 * Actions that return values to driver code (count, reduce, first, isEmpty, aggregate, top,
 * takeOrdered, foreachPartition), tested through foreachBatch, and refused inside transform.
 */
import {
  ActionNotAvailableError,
  type DStream,
  EmptyCollectionError,
  ManualClock,
  type RDD,
  StreamingContext,
} from '../../../src/engine';

/** Runs `action` on the RDD of every batch of `inputs` in foreachBatch; resolves to its results. */
async function eachBatch<T, R>(
  inputs: T[][],
  action: (rdd: RDD<T>) => Promise<R>,
  partitions = 3,
): Promise<R[]> {
  const results: R[] = [];
  await run(inputs, partitions, (s) =>
    s.foreachBatch(async (rdd) => {
      results.push(await action(rdd));
    }),
  );
  return results;
}

function run<T>(inputs: T[][], partitions: number, define: (stream: DStream<T>) => void): Promise<void> {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions, name: 'value-actions' });
  define(ssc.queueStream(inputs));
  ssc.start({
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: inputs.length,
    retry: { backoffMs: 0 },
  });
  return ssc.awaitTermination();
}

const inputs = [[4, 8, 15, 16, 23, 42], [], [7]];

describe('actions that return values in driver code', () => {
  it('count() resolves to the number of rows', async () => {
    expect(await eachBatch(inputs, (rdd) => rdd.count())).toEqual([6, 0, 1]);
  });

  it('count() of a derived RDD counts its rows, not the parent rows', async () => {
    expect(await eachBatch(inputs, (rdd) => rdd.filter((x) => x % 2 === 0).count())).toEqual([4, 0, 0]);
  });

  it('reduce() resolves to the merged rows, and to undefined for an empty batch', async () => {
    expect(await eachBatch(inputs, (rdd) => rdd.reduce((a, b) => a + b))).toEqual([108, undefined, 7]);
  });

  it('first() resolves to the first row in partition order', async () => {
    expect(await eachBatch([[9, 1, 5], [3]], (rdd) => rdd.first())).toEqual([9, 3]);
  });

  it('first() on an empty batch rejects with EmptyCollectionError', async () => {
    const errors: unknown[] = [];
    await eachBatch([[]], (rdd) => rdd.first().catch((error) => errors.push(error)));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(EmptyCollectionError);
    expect(String(errors[0])).toMatch(/empty collection/);
  });

  it('isEmpty() tells empty batches from the rest', async () => {
    expect(await eachBatch(inputs, (rdd) => rdd.isEmpty())).toEqual([false, true, false]);
    expect(await eachBatch([[1]], (rdd) => rdd.filter(() => false).isEmpty())).toEqual([true]);
  });

  it('aggregate() folds each partition from its own zero and merges the partials', async () => {
    const stats = await eachBatch(inputs, (rdd) =>
      rdd.aggregate(
        { sum: 0, seen: [] as number[] },
        (acc, x) => {
          acc.sum += x;
          acc.seen.push(x);
          return acc;
        },
        (a, b) => ({ sum: a.sum + b.sum, seen: a.seen.concat(b.seen) }),
      ),
    );
    expect(stats.map((s) => [s.sum, [...s.seen].sort((a, b) => a - b)])).toEqual([
      [108, [4, 8, 15, 16, 23, 42]],
      [0, []],
      [7, [7]],
    ]);
  });

  it('top(n) resolves to the n largest rows, largest first', async () => {
    expect(await eachBatch(inputs, (rdd) => rdd.top(3))).toEqual([[42, 23, 16], [], [7]]);
  });

  it('takeOrdered(n, compare) resolves to the n first rows by the comparator', async () => {
    const byLastDigit = (a: number, b: number) => (a % 10) - (b % 10);
    expect(await eachBatch(inputs, (rdd) => rdd.takeOrdered(3, byLastDigit))).toEqual([[42, 23, 4], [], [7]]);
  });

  it('top and takeOrdered break ties the same way whatever the partitioning', async () => {
    const words = [['bb', 'a', 'cc', 'd', 'ee']];
    const byLength = (a: string, b: string) => a.length - b.length;
    for (const partitions of [1, 2, 5]) {
      expect(await eachBatch(words, (rdd) => rdd.top(2, byLength), partitions)).toEqual([['ee', 'cc']]);
      expect(await eachBatch(words, (rdd) => rdd.takeOrdered(2, byLength), partitions)).toEqual([['a', 'd']]);
    }
  });

  it('foreachPartition() runs the function on every partition, in partition order', async () => {
    const calls: [number, number[], number][] = [];
    await eachBatch([[1, 2, 3, 4, 5, 6]], (rdd) =>
      rdd.foreachPartition(async (rows, partition, time) => {
        calls.push([partition, rows, time]);
      }),
    );
    expect(calls.map(([p]) => p)).toEqual([0, 1, 2]);
    expect(calls.flatMap(([, rows]) => rows)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(calls.map(([, , time]) => time))).toEqual(new Set([1000]));
  });

  it('a negative n is refused with a clear error', async () => {
    const errors: unknown[] = [];
    await eachBatch([[1]], async (rdd) => {
      try {
        await rdd.top(-1);
      } catch (error) {
        errors.push(error);
      }
    });
    expect(String(errors[0])).toMatch(/top\(n\) needs a whole number n >= 0, got -1/);
  });
});

describe('value actions inside transform', () => {
  const actions: [string, (rdd: RDD<number>) => Promise<unknown>, RegExp][] = [
    ['count', (rdd) => rdd.count(), /stream\.count\(\)/],
    ['reduce', (rdd) => rdd.reduce((a, b) => a + b), /stream\.reduce\(f\)/],
    ['first', (rdd) => rdd.first(), /first\(\) runs the batch/],
    ['isEmpty', (rdd) => rdd.isEmpty(), /isEmpty\(\) runs the batch/],
    [
      'aggregate',
      (rdd) =>
        rdd.aggregate(
          0,
          (a, b) => a + b,
          (a, b) => a + b,
        ),
      /aggregateByKey/,
    ],
    ['top', (rdd) => rdd.top(1), /top\(\) runs the batch/],
    ['takeOrdered', (rdd) => rdd.takeOrdered(1), /takeOrdered\(\) runs the batch/],
    ['foreachPartition', (rdd) => rdd.foreachPartition(() => undefined), /stream\.foreachPartition/],
  ];

  it.each(actions)(
    '%s() throws ActionNotAvailableError with a hint, failing the batch',
    async (_name, action, hint) => {
      let thrown: unknown;
      const done = run([[1, 2]], 2, (s) =>
        s
          .transform((rdd) => {
            try {
              // Not awaited, as in a transform function: the call itself must throw.
              void action(rdd).catch(() => undefined);
            } catch (error) {
              thrown = error;
              throw error;
            }
            return rdd;
          })
          .foreachBatch(() => undefined),
      );
      await expect(done).rejects.toThrow(/only available in driver code/);
      expect(thrown).toBeInstanceOf(ActionNotAvailableError);
      expect(String(thrown)).toMatch(hint);
    },
  );
});
