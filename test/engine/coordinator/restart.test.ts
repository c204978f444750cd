import {
  ManualClock,
  MemoryStore,
  type Pair,
  readManifest,
  type Source,
  type SourceRange,
  StoreSink,
  StreamingContext,
} from '../../../src/engine';

/** Like Kinesis: a read returns everything after the last committed position, up to the end of the log. */
function logSource(log: string[]): Source<string> {
  const read = (from: number, to: number) => log.slice(from, to);
  return {
    async read(_interval, after: readonly SourceRange[] | undefined) {
      const from = after ? Number(after[0].last) + 1 : 0;
      const records = read(from, log.length);
      return {
        records,
        ranges: [
          {
            shard: 'log',
            first: String(from),
            last: String(from + records.length - 1),
            count: records.length,
          },
        ],
      };
    },
    async replay(ranges) {
      return read(Number(ranges[0].first), Number(ranges[0].last) + 1);
    },
  };
}

function job(log: string[], store: MemoryStore, failOnce: { armed: boolean }, batches: number) {
  const ssc = new StreamingContext({ batchInterval: '1s', partitions: 2, name: 'restart' });
  const sink = new StoreSink<Pair<string, number>>('totals');
  const totals = ssc
    .inputStream(logSource(log), { name: 'log' })
    .map((w): Pair<string, number> => [w, 1])
    .updateStateByKey<string, number, number>((values, total) => (total ?? 0) + values.length);
  totals.writeTo(sink);
  totals.foreachBatch(() => {
    if (failOnce.armed) {
      failOnce.armed = false;
      throw new Error('coordinator lost its connection');
    }
  });
  ssc.start({
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches,
    retry: { backoffMs: 0 },
  });
  return { ssc, sink };
}

describe('re-running a batch after a failure or restart', () => {
  it('re-runs a failed batch on the input its manifest recorded, so later records go to later batches', async () => {
    const log = ['a'];
    const store = new MemoryStore();
    const failOnce = { armed: true };
    const first = job(log, store, failOnce, 1);
    await expect(first.ssc.awaitTermination()).rejects.toThrow(/lost its connection/);
    expect((await readManifest(store, 1000))?.status).toBe('failed');

    log.push('b'); // arrives while no coordinator runs
    const second = job(log, store, failOnce, 2);
    await second.ssc.awaitTermination();

    expect((await second.sink.readBatch(store, 1000))?.sort()).toEqual([['a', 1]]);
    expect((await second.sink.readBatch(store, 2000))?.sort()).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect((await readManifest(store, 1000))?.inputs[0].records).toBe(1);
    expect((await readManifest(store, 2000))?.inputs[0].records).toBe(1);
  });
});

describe('a batch that failed before its inputs were recorded', () => {
  it('reads its inputs afresh when re-run, instead of reusing an empty record', async () => {
    const log = ['a', 'b'];
    const inner = new MemoryStore();
    let failNextBlock = true;
    // The store is down exactly when the first input block is written.
    const flaky = Object.assign(Object.create(inner), {
      put: async (key: string, body: Uint8Array) => {
        if (failNextBlock && key.includes('/input/')) {
          failNextBlock = false;
          throw new Error('store unavailable');
        }
        return inner.put(key, body);
      },
    }) as MemoryStore;
    const first = job(log, flaky, { armed: false }, 1);
    await expect(first.ssc.awaitTermination()).rejects.toThrow(/store unavailable/);
    expect((await readManifest(inner, 1000))?.status).toBe('failed');
    const second = job(log, flaky, { armed: false }, 1);
    await second.ssc.awaitTermination();
    expect((await second.sink.readBatch(inner, 1000))?.sort()).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });
});
