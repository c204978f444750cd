import { ManualClock, MemoryStore, type Pair, StoreSink, StreamingContext } from '../../../src/engine';
import { StoreError } from '../../../src/engine/io/errors';
import { BatchFailedError } from '../../../src/engine/schedule';

/** A store whose puts fail like S3 under load (503 SlowDown) while `failing` is above zero. */
class SlowDownStore extends MemoryStore {
  failing = 0;
  override async put(key: string, body: Uint8Array): Promise<void> {
    if (this.failing > 0 && key.startsWith('batches/')) {
      this.failing--;
      const cause = Object.assign(new Error('Please reduce your request rate.'), {
        name: 'SlowDown',
        $metadata: { httpStatusCode: 503 },
      });
      throw new StoreError(
        `s3 store: put of key ${JSON.stringify(key)} failed: SlowDown`,
        { key },
        { cause },
      );
    }
    return super.put(key, body);
  }
}

function wordCount(onRecordError?: 'fail') {
  const ssc = new StreamingContext({ batchInterval: '1s', partitions: 2, name: 'retried', onRecordError });
  const sink = new StoreSink<Pair<string, number>>('out');
  ssc
    .queueStream([['a', 'b', 'a'], ['b'], ['boom']])
    .map((w): Pair<string, number> => {
      if (w === 'boom') throw new Error('cannot count boom');
      return [w, 1];
    })
    .reduceByKey((a, b) => a + b)
    .writeTo(sink);
  return { ssc, sink };
}

describe('batches retried in place', () => {
  it('runs a batch again after the store throttles it past the task retries, and commits it once', async () => {
    const store = new SlowDownStore();
    const clock = new ManualClock(0, { autoAdvance: true });
    const { ssc, sink } = wordCount();
    const lines: string[] = [];
    // Input blocks are written by the coordinator itself: a throttled write fails the whole attempt.
    store.failing = 1;
    ssc.start({ store, clock, zeroTime: 0, batches: 2, coordinatorLog: (l) => lines.push(l) });
    await ssc.awaitTermination();
    expect(await sink.committedBatches(store)).toEqual([1000, 2000]);
    expect((await sink.readBatch(store, 1000))?.sort()).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(lines.filter((l) => /batch 1000 failed .*retrying in/.test(l))).toHaveLength(1);
  });

  it('gives up after the configured retries and fails the run', async () => {
    const store = new SlowDownStore();
    const { ssc } = wordCount();
    store.failing = 100;
    const lines: string[] = [];
    ssc.start({
      store,
      clock: new ManualClock(0, { autoAdvance: true }),
      zeroTime: 0,
      batches: 1,
      batchRetries: 2,
      coordinatorLog: (l) => lines.push(l),
    });
    await expect(ssc.awaitTermination()).rejects.toThrow(BatchFailedError);
    expect(lines).toHaveLength(2);
  });

  it('does not retry a batch whose user code fails deterministically', async () => {
    const { ssc } = wordCount('fail');
    const lines: string[] = [];
    const store = new MemoryStore();
    ssc.start({
      store,
      clock: new ManualClock(0, { autoAdvance: true }),
      zeroTime: 0,
      batches: 3,
      coordinatorLog: (l) => lines.push(l),
    });
    await expect(ssc.awaitTermination()).rejects.toThrow(/cannot count boom/);
    expect(lines).toEqual([]);
  });

  it('starts no retry that could not finish before the deadline', async () => {
    const store = new SlowDownStore();
    const clock = new ManualClock(0, { autoAdvance: true });
    const { ssc } = wordCount();
    store.failing = 1;
    ssc.start({ store, clock, zeroTime: 0, batches: 1, deadline: () => 1500 });
    await expect(ssc.awaitTermination()).rejects.toThrow(BatchFailedError);
    expect(store.failing).toBe(0);
  });
});
