/**
 * mapAsync and mapPartitionsAsync: async user code (lookups in a table or a service) with bounded
 * concurrency, output in input order whatever the timing, and failures handled like map's.
 */
import fc from 'fast-check';
import {
  BatchFailedError,
  ConfigError,
  type DStream,
  ManualClock,
  type Pair,
  StreamingContext,
} from '../../../src/engine';
import { PoisonRecordError } from '../../../src/engine/exec';
import type { RecordErrorOption } from '../../../src/engine/graph';
import type { Store } from '../../../src/engine/io/ports';
import { AsyncRecordError } from '../../../src/engine/plan';
import { readManifest } from '../../../src/engine/schedule';
import { runBatchesDetailed } from '../../../src/engine/testing';
import { steppedContext } from '../checkpoint/harness';
import { causeChain, runContext } from '../coordinator/helpers';
import { sortedMultiset, testOperation } from './helpers';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An async lookup that answers after a delay chosen by the caller (so calls finish out of order). */
function delayedLookup(delayOf: (x: number) => number) {
  return async (x: number): Promise<string> => {
    await sleep(delayOf(x));
    return `v${x}`;
  };
}

/** Counts calls in flight and remembers the most seen at once. */
class InFlight {
  now = 0;
  max = 0;

  wrap<T, U>(f: (x: T) => Promise<U>): (x: T) => Promise<U> {
    return async (x) => {
      this.now++;
      this.max = Math.max(this.max, this.now);
      try {
        return await f(x);
      } finally {
        this.now--;
      }
    };
  }
}

async function runWith<T, O>(
  inputs: T[][],
  build: (s: DStream<T>) => DStream<O>,
  options: { partitions?: number; onRecordError?: RecordErrorOption } = {},
) {
  const ssc = new StreamingContext({
    batchInterval: 1000,
    partitions: options.partitions ?? 2,
    name: 'async',
    onRecordError: options.onRecordError,
  });
  const outputs = new Map<number, O[]>();
  build(ssc.queueStream(inputs)).foreachBatch(async (rdd, time) => {
    outputs.set(time, await rdd.collect());
  });
  return { ...(await runContext(ssc, { batches: inputs.length })), outputs };
}

async function poisonObjects(store: Store) {
  const entries = (await store.list('deadletters/')).filter((e) => e.key.includes('/poison/'));
  return Promise.all(
    entries.map(async (e) => JSON.parse(new TextDecoder().decode((await store.get(e.key))!))),
  );
}

describe('mapAsync on a stream', () => {
  it('maps every element through an async function, keeping input order', async () => {
    await testOperation([[1, 2, 3], [4], [], [5, 6]], (s) => s.mapAsync(delayedLookup((x) => (7 - x) % 3)), [
      ['v1', 'v2', 'v3'],
      ['v4'],
      [],
      ['v5', 'v6'],
    ]);
  });

  it('keeps input order whatever order the calls finish in, for any partitions and concurrency', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 12 }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (inputs, partitions, concurrency, seed) => {
          // A different delay per record and per run: the finishing order is scrambled.
          const delayOf = (x: number) => ((x * 7919 + seed) % 5) as number;
          const run = await runBatchesDetailed(
            inputs,
            (s) => s.mapAsync(delayedLookup(delayOf), { concurrency }),
            { partitions },
          );
          expect(run.outputs).toEqual(inputs.map((batch) => batch.map((x) => `v${x}`)));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('never has more calls in flight in a partition than the concurrency asks', async () => {
    const counter = new InFlight();
    const input = Array.from({ length: 30 }, (_, i) => i);
    const run = await runBatchesDetailed(
      [input],
      (s) => s.mapAsync(counter.wrap(delayedLookup((x) => x % 4)), { concurrency: 3 }),
      { partitions: 1, workers: 1 },
    );
    expect(run.outputs).toEqual([input.map((x) => `v${x}`)]);
    expect(counter.max).toBe(3);
  });

  it('runs 16 calls at once by default', async () => {
    const counter = new InFlight();
    const input = Array.from({ length: 40 }, (_, i) => i);
    await runBatchesDetailed([input], (s) => s.mapAsync(counter.wrap(delayedLookup(() => 1))), {
      partitions: 1,
      workers: 1,
    });
    expect(counter.max).toBe(16);
  });

  it('feeds a shuffle like any other operator', async () => {
    await testOperation(
      [['a', 'b', 'a'], ['b']],
      (s) =>
        s
          .mapAsync(async (word): Promise<Pair<string, number>> => [word, word.length])
          .reduceByKey((a, b) => a + b),
      [
        [
          ['a', 2],
          ['b', 1],
        ],
        [['b', 1]],
      ],
      { useSet: true },
    );
  });

  it('dead-letters a record whose call rejects and commits the rest of the batch, in order', async () => {
    const lookup = async (x: number) => {
      await sleep(x % 3);
      if (x < 0) throw new Error(`no such id ${x}`);
      return x * 10;
    };
    const run = await runBatchesDetailed([[1, 2, -3, 4, 5]], (s) => s.mapAsync(lookup), { partitions: 1 });
    expect(run.outputs).toEqual([[10, 20, 40, 50]]);
    expect((await readManifest(run.store, 1000))!.status).toBe('committed');
    const [letters] = await poisonObjects(run.store);
    expect(letters.operator).toBe('mapAsync');
    expect(letters.records.map((r: { index: number; data: number }) => [r.index, r.data])).toEqual([[2, -3]]);
    expect(letters.records[0].error).toContain('no such id -3');
  });

  it("fails the batch naming the record's position when onRecordError is 'fail'", async () => {
    const { error } = await runWith(
      [[1, 2, -3]],
      (s) =>
        s.mapAsync(async (x: number) => {
          if (x < 0) throw new Error('lookup refused');
          return x;
        }),
      { partitions: 1, onRecordError: 'fail' },
    );
    expect(error).toBeInstanceOf(BatchFailedError);
    const poison = causeChain(error).find((e) => e instanceof PoisonRecordError) as PoisonRecordError;
    expect(poison.message).toContain("input 'queue-0' batch 1000 partition 0 record 2");
    expect(poison.message).toContain('lookup refused');
    const cause = causeChain(error).find((e) => e instanceof AsyncRecordError) as AsyncRecordError;
    expect(cause.record).toBe(2);
    expect(cause.message).toMatch(/^mapAsync failed on record 2 of partition 0 .*: lookup refused$/);
  });

  it('retries a call that failed once, and the batch has every record in order', async () => {
    let failures = 0;
    const flaky = async (x: number) => {
      await sleep(x % 2);
      if (x === 3 && failures === 0) {
        failures++;
        throw new Error('timeout');
      }
      return x * 2;
    };
    const run = await runBatchesDetailed([[1, 2, 3, 4]], (s) => s.mapAsync(flaky), { partitions: 1 });
    expect(failures).toBe(1);
    expect(run.outputs).toEqual([[2, 4, 6, 8]]);
  });

  it('gives the same windows when lost partitions are recomputed from lineage with other timings', async () => {
    const inputs = [[1, 2, 3], [4, 5, 6], [7, 8], [9], [10, 11, 12]];
    let run = 0;
    const build = (s: DStream<number>) =>
      s
        // Each pass of the coordinator sees other delays, so calls finish in another order.
        .mapAsync(
          async (x: number): Promise<Pair<number, number>> => {
            await sleep((x * 3 + run) % 4);
            return [x % 3, x];
          },
          { concurrency: 2 },
        )
        .reduceByKeyAndWindow((a, b) => a + b, { window: 3000, slide: 1000 });
    const reference = await runWith(inputs, build);
    const stepped = steppedContext(inputs, build as (s: DStream<number>) => DStream<unknown>);
    await stepped.run(2);
    // Everything computed so far is lost except the input blocks: windows and shuffles are recomputed.
    stepped.loseCoordinator();
    run = 1;
    await stepped.run(2);
    stepped.loseCoordinator();
    run = 2;
    await stepped.run(1);
    const times = [...stepped.outputs.keys()].sort((a, b) => a - b);
    expect(times).toEqual([1000, 2000, 3000, 4000, 5000]);
    for (const time of times) {
      expect(sortedMultiset(stepped.outputs.get(time)!)).toEqual(
        sortedMultiset(reference.outputs.get(time)!),
      );
    }
  });

  it('refuses a concurrency that is not a whole number >= 1 when the stream is defined', () => {
    const ssc = new StreamingContext({ batchInterval: 1000, name: 'async' });
    const stream = ssc.queueStream<number>([]);
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      expect(() => stream.mapAsync(async (x) => x, { concurrency })).toThrow(ConfigError);
    }
    expect(() => stream.mapAsync(async (x) => x, { concurrency: 0 })).toThrow(
      'mapAsync: concurrency must be a whole number >= 1, got 0; pass e.g. { concurrency: 16 }',
    );
  });
});

describe('mapAsync on an RDD in driver code', () => {
  it('maps a batch in foreachBatch and collects it in order', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'async-rdd' });
    const collected: number[][] = [];
    ssc.queueStream([[5, 4, 3, 2, 1]]).foreachBatch(async (rdd) => {
      const square = async (x: number) => {
        await sleep(x);
        return x * x;
      };
      collected.push(await rdd.mapAsync(square, { concurrency: 2 }).collect());
    });
    ssc.start({ clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: 1, workers: 2 });
    await ssc.awaitTermination();
    expect(collected).toEqual([[25, 16, 9, 4, 1]]);
  });
});
