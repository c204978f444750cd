import {
  ManualClock,
  MemoryStore,
  type Pair,
  readManifest,
  StoreSink,
  StreamingContext,
} from '../../../src/engine';
import { StoreError } from '../../../src/engine/io/errors';
import type { Store, WriteCondition } from '../../../src/engine/io/ports';
import { useLocalKinesis } from '../../support/kinesis-harness';
import { CountingStore } from '../../support/log-source';

const kinesis = useLocalKinesis('sluice-coordinator-task-reads');

/** A word count over a Kinesis stream read by tasks; `onBatch` runs as driver code after the sink. */
function job(
  stream: string,
  store: Store,
  batches: number,
  onBatch: () => Promise<void>,
  options: { batchRetries?: number } = {},
) {
  const ssc = new StreamingContext({ batchInterval: '1s', partitions: 2, name: 'task-reads' });
  const sink = new StoreSink<Pair<string, number>>('counts');
  const counts = ssc
    .kinesisStream({ streamName: stream, client: kinesis.newClient(), settleMs: 0 })
    .map((w): Pair<string, number> => [w, 1])
    .reduceByKey((a, b) => a + b);
  counts.writeTo(sink);
  counts.foreachBatch(onBatch);
  ssc.start({
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches,
    batchRetries: options.batchRetries ?? 0,
    batchRetryBackoffMs: 0,
    retry: { backoffMs: 0 },
  });
  return { ssc, sink };
}

describe('Kinesis input read by map tasks under the coordinator', () => {
  it('invokes no map task for a partition that was planned no shard range', async () => {
    const stream = await kinesis.newStream(1);
    await kinesis.put(stream, ['a', 'b', 'a']);
    const store = new MemoryStore();
    const ssc = new StreamingContext({ batchInterval: '1s', partitions: 3, name: 'idle-partitions' });
    const sink = new StoreSink<Pair<string, number>>('counts');
    ssc
      .kinesisStream({ streamName: stream, client: kinesis.newClient(), settleMs: 0 })
      .map((w): Pair<string, number> => [w, 1])
      .reduceByKey((a, b) => a + b)
      .writeTo(sink);
    ssc.start({
      store,
      clock: new ManualClock(0, { autoAdvance: true }),
      zeroTime: 0,
      batches: 1,
      speculation: { enabled: false },
    });
    await ssc.awaitTermination();
    const manifest = await readManifest(store, 1000);
    // One map task for the one shard (not three), three reduce tasks.
    expect(manifest?.requests?.lambdaInvokes).toBe(4);
    expect(manifest?.stages[0]).toMatchObject({ kind: 'shuffleMap', partitions: 3 });
    const rows = (await sink.readBatch(store, 1000)) ?? [];
    expect([...rows].sort()).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });

  it('a batch re-run by a new coordinator reads the records its first run read, and no input goes through the store', async () => {
    const stream = await kinesis.newStream(2);
    await kinesis.put(stream, ['a', 'b', 'c', 'a']);
    const store = new CountingStore(new MemoryStore());
    let failed = false;
    const first = job(stream, store, 1, async () => {
      if (failed) return;
      failed = true;
      // Records that arrive while the batch runs belong to a later batch, whichever run reads them.
      await kinesis.put(stream, ['late', 'a']);
      throw new Error('coordinator lost its connection');
    });
    await expect(first.ssc.awaitTermination()).rejects.toThrow(/lost its connection/);
    expect((await readManifest(store, 1000))?.status).toBe('failed');

    const second = job(stream, store, 2, async () => undefined);
    await second.ssc.awaitTermination();
    expect((await second.sink.readBatch(store, 1000))?.sort()).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 1],
    ]);
    expect((await second.sink.readBatch(store, 2000))?.sort()).toEqual([
      ['a', 1],
      ['late', 1],
    ]);
    const committed = await readManifest(store, 1000);
    expect(committed?.inputs[0]).toMatchObject({ records: 4, direct: true, blocks: [] });
    expect(committed?.inputs[0].ranges.every((r) => r.plan === undefined)).toBe(true);
    expect(store.calls.filter((c) => c.op === 'put' && c.key.includes('/input/'))).toEqual([]);
  });

  it('a batch retried in place after its map stage commits each record once, not again in the next batch', async () => {
    const stream = await kinesis.newStream(2);
    await kinesis.put(stream, ['a', 'b', 'a']);
    const store = new FirstSinkWriteFails(new MemoryStore());
    const { ssc, sink } = job(stream, store, 2, async () => undefined, { batchRetries: 2 });
    await ssc.awaitTermination();
    expect(store.failed).toBe(true);
    expect((await sink.readBatch(store, 1000))?.sort()).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(await sink.readBatch(store, 2000)).toEqual([]);
  });
});

/** Fails the first write of sink output once, as S3 may (a retryable failure, after the map stage ran). */
class FirstSinkWriteFails extends CountingStore {
  failed = false;

  override putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    if (!this.failed && key.startsWith('sinks/')) {
      this.failed = true;
      return Promise.reject(new StoreError('S3 answered 500 InternalError (injected)', { key }));
    }
    return super.putIf(key, body, condition);
  }
}
