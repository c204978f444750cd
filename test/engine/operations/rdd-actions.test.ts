/**
 * Actions on the RDDs handed to output operations: collect and take inside foreachBatch, RDDs derived
 * in driver code (also after an await), actions where they are not allowed, and print().
 */

import fc from 'fast-check';
import {
  BatchFailedError,
  type DStream,
  ManualClock,
  type Pair,
  type RDD,
  StreamingContext,
} from '../../../src/engine';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import { ActionNotAvailableError } from '../../../src/engine/plan';
import { readManifest } from '../../../src/engine/schedule';
import { sortedMultiset } from './helpers';

interface Program<T> {
  inputs: T[][];
  batches?: number;
  partitions?: number;
  define: (stream: DStream<T>, ssc: StreamingContext) => void;
  log?: (line: string) => void;
}

/** Starts a context over one queue stream with a manual clock and returns awaitTermination(). */
function run<T>({ inputs, batches, partitions = 2, define, log }: Program<T>): Promise<void> {
  const ssc = new StreamingContext({
    batchInterval: 1000,
    partitions,
    name: 'actions',
    ...(log ? { log } : {}),
  });
  define(ssc.queueStream(inputs), ssc);
  ssc.start({
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: batches ?? inputs.length,
    retry: { backoffMs: 0 },
  });
  return ssc.awaitTermination();
}

const sum = (a: number, b: number) => a + b;

describe('collect and take in foreachBatch', () => {
  it('collect returns every element of the batch in input order', async () => {
    const seen: [number, number[]][] = [];
    await run({
      inputs: [[1, 2, 3, 4, 5], [], [6]],
      partitions: 3,
      define: (s) =>
        s.foreachBatch(async (rdd, time) => {
          seen.push([time, await rdd.collect()]);
        }),
    });
    expect(seen).toEqual([
      [1000, [1, 2, 3, 4, 5]],
      [2000, []],
      [3000, [6]],
    ]);
  });

  it('foreachBatch runs for every batch, also after the inputs run out', async () => {
    const times: number[] = [];
    await run({
      inputs: [[1]],
      batches: 4,
      define: (s) =>
        s.foreachBatch((_rdd, time) => {
          times.push(time);
        }),
    });
    expect(times).toEqual([1000, 2000, 3000, 4000]);
  });

  it('the RDD knows its batch time and number of partitions', async () => {
    const seen: [number, number][] = [];
    await run({
      inputs: [[1, 2], [3]],
      partitions: 3,
      define: (s) =>
        s.foreachBatch((rdd) => {
          seen.push([rdd.time, rdd.numPartitions]);
        }),
    });
    expect(seen).toEqual([
      [1000, 3],
      [2000, 3],
    ]);
  });

  it('take(n) returns the first n elements in partition order', async () => {
    const seen: number[][] = [];
    await run({
      inputs: [[10, 20, 30, 40, 50], [7]],
      partitions: 2,
      define: (s) =>
        s.foreachBatch(async (rdd) => {
          seen.push(await rdd.take(3));
          seen.push(await rdd.take(0));
        }),
    });
    expect(seen).toEqual([[10, 20, 30], [], [7], []]);
  });

  it('take(n) with n beyond the batch size returns the whole batch', async () => {
    const seen: number[][] = [];
    await run({
      inputs: [[1, 2], []],
      define: (s) =>
        s.foreachBatch(async (rdd) => {
          seen.push(await rdd.take(10));
        }),
    });
    expect(seen).toEqual([[1, 2], []]);
  });

  it('collect on the result of a transformation returns the transformed batch', async () => {
    const seen: string[][] = [];
    await run({
      inputs: [[1, 2, 3]],
      define: (s) =>
        s
          .map((x) => x * 2)
          .filter((x) => x !== 4)
          .map((x) => `#${x}`)
          .foreachBatch(async (rdd) => {
            seen.push(await rdd.collect());
          }),
    });
    expect(seen).toEqual([['#2', '#6']]);
  });

  it('the same RDD can be collected several times, one after the other', async () => {
    const seen: number[][] = [];
    await run({
      inputs: [[1, 2, 3]],
      define: (s) =>
        s
          .map((x) => [x % 2, x] as Pair<number, number>)
          .reduceByKey(sum)
          .map(([k, v]) => k * 100 + v)
          .foreachBatch(async (rdd) => {
            seen.push((await rdd.collect()).sort((a, b) => a - b));
            seen.push((await rdd.collect()).sort((a, b) => a - b));
          }),
    });
    expect(seen).toEqual([
      [2, 104],
      [2, 104],
    ]);
  });

  // Fails today: concurrent actions on one RDD share its result keys in the store; the first to finish
  // deletes them ("result partition ... vanished before it was read") and the batch fails.
  it('two actions on the same RDD may run at the same time', async () => {
    const seen: unknown[] = [];
    await run({
      inputs: [[1, 2, 3]],
      define: (s) =>
        s.foreachBatch(async (rdd) => {
          seen.push(await Promise.all([rdd.collect(), rdd.take(1)]));
        }),
    });
    expect(seen).toEqual([[[1, 2, 3], [1]]]);
  });

  it('several foreachBatch outputs of one stream each see the whole batch, in definition order', async () => {
    const seen: string[] = [];
    await run({
      inputs: [[1, 2], [3]],
      define: (s) => {
        const doubled = s.map((x) => x * 2);
        doubled.foreachBatch(async (rdd, time) => {
          seen.push(`first ${time} ${await rdd.collect()}`);
        });
        doubled.foreachBatch(async (rdd, time) => {
          seen.push(`second ${time} ${await rdd.collect()}`);
        });
      },
    });
    expect(seen).toEqual(['first 1000 2,4', 'second 1000 2,4', 'first 2000 6', 'second 2000 6']);
  });
});

describe('RDDs derived inside foreachBatch', () => {
  it('an RDD derived with map and reduceByKey can be collected', async () => {
    const seen: Pair<string, number>[][] = [];
    await run({
      inputs: [['a b', 'b c b'], ['c']],
      partitions: 3,
      define: (s) =>
        s.foreachBatch(async (rdd) => {
          const counts = rdd
            .flatMap((line) => line.split(' '))
            .map((w) => [w, 1] as Pair<string, number>)
            .reduceByKey(sum);
          seen.push(sortedMultiset(await counts.collect()));
        }),
    });
    expect(seen).toEqual([
      [
        ['a', 1],
        ['b', 3],
        ['c', 1],
      ],
      [['c', 1]],
    ]);
  });

  it('RDDs can be derived and collected after an await', async () => {
    const seen: unknown[] = [];
    await run({
      inputs: [[1, 2, 3, 4], [5]],
      define: (s) =>
        s.foreachBatch(async (rdd) => {
          const all = await rdd.collect();
          const doubled = rdd.map((x) => x * 2);
          seen.push(all, await doubled.collect());
          await new Promise((resolve) => setTimeout(resolve, 1));
          const byParity = doubled.map((x) => [x % 4, x] as Pair<number, number>).reduceByKey(sum, 1);
          seen.push(sortedMultiset(await byParity.collect()));
          seen.push(await doubled.take(1));
        }),
    });
    expect(seen).toEqual([
      [1, 2, 3, 4],
      [2, 4, 6, 8],
      [
        [0, 12],
        [2, 8],
      ],
      [2],
      [5],
      [10],
      [[2, 10]],
      [10],
    ]);
  });

  it('a derived RDD can combine the batch with itself (join) and with driver data (union)', async () => {
    const seen: unknown[] = [];
    await run({
      inputs: [
        [
          ['k', 1],
          ['j', 2],
        ],
      ] as Pair<string, number>[][],
      define: (s) =>
        s.foreachBatch(async (rdd) => {
          const joined = rdd.join(rdd.mapValues((v) => v * 10));
          seen.push(sortedMultiset(await joined.collect()));
          seen.push([await rdd.union(rdd).count()]);
        }),
    });
    expect(seen).toEqual([
      [
        ['j', [2, 20]],
        ['k', [1, 10]],
      ],
      [4],
    ]);
  });

  it('derived RDDs of different batches do not mix', async () => {
    const seen: number[][] = [];
    await run({
      inputs: [[1, 1], [2], [3, 3, 3]],
      define: (s) =>
        s.foreachBatch(async (rdd) => {
          seen.push(
            await rdd
              .map((x) => [x, 1] as Pair<number, number>)
              .reduceByKey(sum)
              .map(([k, n]) => k * n)
              .collect(),
          );
        }),
    });
    expect(seen).toEqual([[2], [2], [9]]);
  });
});

describe('actions where they are not available', () => {
  it('collect() on an RDD inside transform rejects, pointing to foreachBatch', async () => {
    const attempts: Promise<unknown>[] = [];
    await run({
      inputs: [[1]],
      define: (s) =>
        s
          .transform((rdd) => {
            // The async wrapper turns a synchronous throw into a rejection too.
            const attempt = (async () => rdd.collect())();
            attempt.catch(() => undefined);
            attempts.push(attempt);
            return rdd;
          })
          .foreachBatch(() => undefined),
    }).catch(() => undefined);
    expect(attempts.length).toBe(1);
    await expect(attempts[0]).rejects.toThrow(ActionNotAvailableError);
    await expect(attempts[0]).rejects.toThrow(/foreachBatch/);
  });

  // Fails today: collect() returns a rejected promise instead of throwing, and transform functions are
  // synchronous, so the batch commits as if nothing happened (and a caller that does not attach a
  // handler gets an unhandled rejection, which kills a Node process).
  it('calling collect() inside transform fails the batch with an error mentioning foreachBatch', async () => {
    const done = run({
      inputs: [[1]],
      define: (s) =>
        s
          .transform((rdd) => {
            rdd.collect().catch(() => undefined);
            return rdd;
          })
          .foreachBatch(() => undefined),
    });
    await expect(done).rejects.toThrow(/foreachBatch/);
  });

  it('an error thrown in foreachBatch fails the batch and stops later batches', async () => {
    const times: number[] = [];
    const done = run({
      inputs: [[1], [2], [3]],
      define: (s) =>
        s.foreachBatch(async (rdd, time) => {
          times.push(time);
          if ((await rdd.collect())[0] === 2) throw new Error('boom in batch 2');
        }),
    });
    await expect(done).rejects.toThrow(BatchFailedError);
    await expect(done).rejects.toThrow(/boom in batch 2/);
    expect(times).toEqual([1000, 2000]);
  });

  it('a user function that throws inside a collected RDD fails the batch with its message', async () => {
    const done = run({
      inputs: [[1, 2, 3]],
      define: (s) =>
        s.foreachBatch(async (rdd: RDD<number>) => {
          await rdd
            .map((x) => {
              if (x === 3) throw new Error('three is bad');
              return x;
            })
            .collect();
        }),
    });
    await expect(done).rejects.toThrow(/three is bad/);
  });
});

describe('print', () => {
  const header = (time: number) => [
    '-------------------------------------------',
    `Time: ${time} ms`,
    '-------------------------------------------',
  ];

  async function printed<T>(
    inputs: T[][],
    n: number | undefined,
    batches = inputs.length,
  ): Promise<string[]> {
    const lines: string[] = [];
    await run({
      inputs,
      batches,
      log: (line) => lines.push(line),
      define: (s) => (n === undefined ? s.print() : s.print(n)),
    });
    return lines;
  }

  it('print writes a header with the batch time and the first n elements', async () => {
    const lines = await printed([[1, 2, 3]], 5);
    expect(lines).toEqual([`${[...header(1000), '1', '2', '3'].join('\n')}\n`]);
  });

  it("print ends with '...' when the batch has more than n elements", async () => {
    const lines = await printed([['a', 'b', 'c', 'd']], 2);
    expect(lines).toEqual([`${[...header(1000), 'a', 'b', '...'].join('\n')}\n`]);
  });

  it("print shows exactly n elements without '...' when the batch has n elements", async () => {
    const lines = await printed([['a', 'b']], 2);
    expect(lines).toEqual([`${[...header(1000), 'a', 'b'].join('\n')}\n`]);
  });

  it('print shows only the header for an empty batch, once per batch', async () => {
    const lines = await printed([[7], []], 3, 3);
    expect(lines).toEqual([
      `${[...header(1000), '7'].join('\n')}\n`,
      `${header(2000).join('\n')}\n`,
      `${header(3000).join('\n')}\n`,
    ]);
  });

  it('print shows ten elements by default', async () => {
    const lines = await printed(
      [Array.from({ length: 11 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => i)],
      undefined,
    );
    const digits = Array.from({ length: 10 }, (_, i) => String(i));
    expect(lines).toEqual([
      `${[...header(1000), ...digits, '...'].join('\n')}\n`,
      `${[...header(2000), ...digits].join('\n')}\n`,
    ]);
  });

  it('print formats pairs as tuples', async () => {
    const lines = await printed(
      [
        [
          ['a', 1],
          ['b', [2, 3]],
        ],
      ] as [string, unknown][][],
      10,
    );
    expect(lines).toEqual([`${[...header(1000), '(a,1)', '(b,(2,3))'].join('\n')}\n`]);
  });

  it('print of a shuffled stream shows the reduced elements', async () => {
    const lines: string[] = [];
    await run({
      inputs: [['x', 'y', 'x']],
      log: (line) => lines.push(line),
      define: (s) =>
        s
          .map((w) => [w, 1] as Pair<string, number>)
          .reduceByKey(sum)
          .print(),
    });
    expect(lines.length).toBe(1);
    const body = lines[0].split('\n').slice(3, -1);
    expect(body.sort()).toEqual(['(x,2)', '(y,1)']);
  });
});

describe('take scans only the partitions it needs', () => {
  /** Runs one batch of `input` over `partitions` with `action`, returning the batch's result stages. */
  async function resultStages(
    input: number[],
    partitions: number,
    action: (rdd: RDD<number>) => Promise<unknown>,
  ): Promise<{ partitions: number; rows: number }[]> {
    const store = new MemoryStore();
    const ssc = new StreamingContext({ batchInterval: 1000, partitions, name: 'take' });
    ssc.queueStream([input]).foreachBatch(async (rdd) => {
      await action(rdd);
    });
    ssc.start({ store, clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: 1 });
    await ssc.awaitTermination();
    const manifest = await readManifest(store, 1000);
    expect(manifest?.status).toBe('committed');
    return manifest!.stages
      .filter((s) => s.kind === 'result')
      .map(({ partitions, rows }) => ({ partitions, rows }));
  }

  it('computes one partition when it holds enough rows, and sends back only the rows wanted', async () => {
    const input = Array.from({ length: 80 }, (_, i) => i);
    const stages = await resultStages(input, 8, (rdd) => rdd.take(3));
    expect(stages).toEqual([{ partitions: 1, rows: 3 }]);
  });

  it('computes 4x more partitions per round while rows are missing', async () => {
    // Only the last partition has rows: rounds of 1, 4 and then the remaining 3 of 8 partitions.
    const input = Array.from({ length: 8 }, (_, i) => i);
    const stages = await resultStages(input, 8, (rdd) => rdd.filter((x) => x === 7).take(1));
    expect(stages.map((s) => s.partitions)).toEqual([1, 4, 3]);
  });

  it('print() of a large batch brings back only the rows it prints', async () => {
    const lines: string[] = [];
    const store = new MemoryStore();
    const ssc = new StreamingContext({
      batchInterval: 1000,
      partitions: 4,
      name: 'print',
      log: (l) => lines.push(l),
    });
    ssc.queueStream([Array.from({ length: 1000 }, (_, i) => i)]).print(5);
    ssc.start({ store, clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: 1 });
    await ssc.awaitTermination();
    const results = (await readManifest(store, 1000))!.stages.filter((s) => s.kind === 'result');
    expect(results.reduce((sum, s) => sum + s.rows, 0)).toBe(6);
    expect(lines[0]).toContain('...');
  });

  it('gives the first n rows of collect() for any batch, partitioning and n', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 45 }),
        async (input, partitions, n) => {
          const seen: number[][] = [];
          await run({
            inputs: [input],
            partitions,
            define: (s) =>
              s
                .filter((x) => x % 3 !== 0)
                .foreachBatch(async (rdd) => {
                  seen.push(await rdd.collect(), await rdd.take(n));
                }),
          });
          expect(seen[1]).toEqual(seen[0].slice(0, n));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('rejects a count that is not a whole number >= 0, saying how to call it', async () => {
    for (const n of [-1, 1.5, Number.NaN]) {
      const failure = run({
        inputs: [[1, 2, 3]],
        define: (s) =>
          s.foreachBatch(async (rdd) => {
            await rdd.take(n);
          }),
      });
      await expect(failure).rejects.toThrow(/take\(n\) needs a whole number n >= 0/);
    }
  });
});
