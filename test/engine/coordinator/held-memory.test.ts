/**
 * What the coordinator holds between batches (state partitions, map outputs) is bounded by the memory it
 * is given, so a small coordinator spills to the store instead of running out of memory, and gets the
 * same answers.
 */
import { ManualClock, MemoryStore, type Pair, StoreSink, StreamingContext } from '../../../src/engine';
import { jobStoreIn } from '../../../src/engine/catalog';
import { timeOfKey } from '../../../src/engine/plan';
import { configFromEnv } from '../../../src/engine/runtime/config';
import { partitionOf } from '../../../src/engine/util/hash';
import { CountingStore } from '../../support/log-source';

const sum = (a: number, b: number) => a + b;

async function runningTotals(holdMb: number | undefined) {
  const store = new CountingStore(jobStoreIn(new MemoryStore(), 'held'));
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 3, name: 'held' });
  ssc
    .generatorStream({
      name: 'words',
      ratePerSecond: 60,
      partitions: 2,
      generate: (i) => `w${(i * 7) % 101}`,
    })
    .map((w): Pair<string, number> => [w, 1])
    .reduceByKey(sum)
    .updateStateByKey<string, number, number>((values, total) => (total ?? 0) + values.reduce(sum, 0))
    .writeTo(new StoreSink('totals'));
  ssc.start({
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: 25,
    owner: 'only',
    ...(holdMb === undefined ? {} : { holdMb }),
  });
  await ssc.awaitTermination();
  const sink = new StoreSink<Pair<string, number>>('totals');
  const batches = [];
  for (let t = 1; t <= 25; t++) {
    const rows = (await sink.readBatch(store, t * 1000)) ?? [];
    batches.push([...rows].sort(([a], [b]) => a.localeCompare(b)));
  }
  const spilled = store.calls.filter((c) => c.op === 'put' && c.key.startsWith('batches/')).length;
  // Spilled partitions are transient: the cleaner deletes them like any other batch data.
  const left = (await store.list('batches/')).map((e) => timeOfKey(e.key));
  return { batches, spilled, oldestLeft: Math.min(...left) };
}

describe('memory the coordinator holds between batches', () => {
  it('spills state partitions to the store when they pass what it may hold, with the same answers', async () => {
    const roomy = await runningTotals(undefined);
    // About 100 bytes: every state partition is over the bound.
    const cramped = await runningTotals(0.0001);
    expect(roomy.spilled).toBe(0);
    expect(cramped.spilled).toBeGreaterThan(0);
    expect(cramped.batches).toEqual(roomy.batches);
    expect(cramped.oldestLeft).toBeGreaterThan(10_000);
    expect(roomy.batches[24].length).toBeGreaterThan(0);
  });

  it("is half the Lambda function's memory unless SLUICE_HOLD_MB says otherwise", () => {
    const env = {
      SLUICE_JOBS: JSON.stringify({ demo: './examples/jobs/wordcount.ts' }),
      SLUICE_STORE: './data',
    };
    expect(configFromEnv(env).holdMb).toBeUndefined();
    expect(configFromEnv({ ...env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' }).holdMb).toBe(256);
    expect(
      configFromEnv({ ...env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512', SLUICE_HOLD_MB: '400' }).holdMb,
    ).toBe(400);
    expect(() => configFromEnv({ ...env, SLUICE_HOLD_MB: '2' })).toThrow(/SLUICE_HOLD_MB/);
  });
});

describe('partitions held in the coordinator next to ones only the store has', () => {
  /**
   * Running totals over 2 partitions: one key in partition 0 every batch, and 30 new long keys in
   * partition 1, so that partition's state outgrows a task result while each batch's map output does not.
   */
  async function totals(exchange?: { inlineBytes: number; maxRequestBytes: number }) {
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}-${'x'.repeat(40)}`);
    const small = keys.find((k) => partitionOf(k, 2) === 0)!;
    const big = keys.filter((k) => partitionOf(k, 2) === 1);
    const store = new MemoryStore();
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'mixed' });
    ssc
      .generatorStream({
        name: 'words',
        ratePerSecond: 31,
        partitions: 1,
        generate: (i) => (i % 31 === 0 ? small : big[i]),
      })
      .map((w): Pair<string, number> => [w, 1])
      .updateStateByKey<string, number, number>((values, total) => (total ?? 0) + values.reduce(sum, 0))
      .writeTo(new StoreSink('totals'));
    ssc.start({
      store,
      clock: new ManualClock(0, { autoAdvance: true }),
      zeroTime: 0,
      batches: 4,
      owner: 'only',
      ...(exchange ? { exchange } : {}),
    });
    await ssc.awaitTermination();
    const rows = await new StoreSink<Pair<string, number>>('totals').readBatch(store, 4000);
    return [...(rows ?? [])].sort(([a], [b]) => a.localeCompare(b));
  }

  it('gets the same totals when no request may carry anything and every piece goes through the store', async () => {
    // Partition 0's state comes back in its task's result; partition 1's outgrows it and the task stores
    // it. No request may carry anything: each held piece is written before a request names it.
    const expected = await totals();
    expect(await totals({ inlineBytes: 2500, maxRequestBytes: 1 })).toEqual(expected);
    expect(expected).toContainEqual([expect.stringMatching(/^k/), 4]);
    expect(expected).toHaveLength(1 + 4 * 30);
  });
});
