/**
 * Store requests per batch once data moves in task requests and results: a generator input read by the
 * tasks themselves, a shuffle, running state and a store sink. Steady-state batches touch no batch data in
 * the store at all; only metadata and output are written, whatever the numbers of map and reduce tasks.
 */
import {
  ManualClock,
  MemoryStore,
  type Pair,
  readManifest,
  StoreSink,
  StreamingContext,
} from '../../../src/engine';
import { jobStoreIn } from '../../../src/engine/catalog';
import { CountingStore } from '../../support/log-source';

const sum = (a: number, b: number) => a + b;

async function requestsPerBatch(
  maps: number,
  reducers: number,
  options: { smallBatchRecords?: number } = {},
) {
  const store = new CountingStore(jobStoreIn(new MemoryStore(), 'exchange'));
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: reducers, name: 'exchange' });
  const counted: {
    time: number;
    requests: number;
    transient: number;
    invocations: number;
    keys: string[];
  }[] = [];
  ssc
    .generatorStream({
      name: 'words',
      ratePerSecond: 40,
      partitions: maps,
      generate: (i) => `w${(i * 7) % 13}`,
    })
    .map((w): Pair<string, number> => [w, 1])
    .reduceByKey(sum, reducers)
    .updateStateByKey<string, number, number>((values, total) => (total ?? 0) + values.reduce(sum, 0))
    .writeTo(new StoreSink('totals'));
  let mark = 0;
  ssc.start({
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: 25,
    owner: 'only',
    ...options,
    onBatch: (info) => {
      const calls = store.calls.slice(mark);
      mark = store.calls.length;
      counted.push({
        time: info.batchTime,
        requests: calls.length,
        transient: calls.filter((c) => c.key.startsWith('batches/')).length,
        keys: calls.map((c) => `${c.op} ${c.key}`),
        invocations: 0,
      });
    },
  });
  await ssc.awaitTermination();
  for (const batch of counted) {
    const { stages } = (await readManifest(store, batch.time))!;
    batch.invocations = stages.filter((s) => s.location === 'tasks').reduce((n, s) => n + s.attempts, 0);
  }
  const sink = new StoreSink<Pair<string, number>>('totals');
  const last = await sink.readBatch(store, 25_000);
  return { counted, last };
}

describe('store requests per batch with data in task payloads', () => {
  it.each([
    [1, 2],
    [4, 4],
    [8, 16],
  ])(
    'stay the same for %i map and %i reduce tasks, with no batch data in the store',
    async (maps, reducers) => {
      const { counted, last } = await requestsPerBatch(maps, reducers);
      // Batches 12-19: past start-up, no checkpoint (they come every 10 s).
      const steady = counted.filter((c) => c.time > 11_000 && c.time < 20_000);
      expect(steady).toHaveLength(8);
      for (const batch of steady) {
        expect(batch.keys.filter((k) => k.includes('batches/'))).toEqual([]);
        // Claim, commit and the sink's batch object; a lease renewal now and then.
        expect(batch.requests).toBeLessThanOrEqual(4);
      }
      // A checkpoint batch adds one write, however many state partitions: they are packed in one object.
      const checkpoint = counted.find((c) => c.time === 20_000)!;
      expect(checkpoint.transient).toBe(0);
      expect(checkpoint.keys.filter((k) => k.includes(' checkpoints/'))).toEqual([
        'put checkpoints/000000000020000/packed',
      ]);
      expect(checkpoint.requests).toBeLessThanOrEqual(5);
      // 25 batches of 40 records over 13 words, all counted.
      expect(last!.reduce((n, [, count]) => n + count, 0)).toBe(25 * 40);
    },
  );

  it('runs a batch of a few records in the coordinator, without invoking tasks', async () => {
    const { counted, last } = await requestsPerBatch(4, 4, { smallBatchRecords: 100 });
    expect(counted.every((c) => c.invocations === 0)).toBe(true);
    expect(last!.reduce((n, [, count]) => n + count, 0)).toBe(25 * 40);
    const fannedOut = await requestsPerBatch(4, 4);
    expect(fannedOut.counted.every((c) => c.invocations >= 8)).toBe(true);
    expect(fannedOut.last).toEqual(last);
  });
});
