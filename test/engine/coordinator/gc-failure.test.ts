/**
 * Garbage collection runs inside runBatch after the commit, outside the batch's retry-in-place: one
 * throttled LIST or DeleteObjects (S3 503 SlowDown past the SDK's retries) ends the whole coordinator run,
 * although the batch is committed and nothing is wrong with the job.
 */
import { ManualClock, MemoryStore } from '../../../src/engine';
import { jobStoreIn } from '../../../src/engine/catalog';
import { StoreError } from '../../../src/engine/io/errors';
import type { StoreEntry } from '../../../src/engine/io/ports';
import { CountingStore, LogSource, sinkTotal, wordCount } from '../../support/log-source';

class SlowDownOnce extends CountingStore {
  failed = false;
  override async list(prefix: string): Promise<StoreEntry[]> {
    if (!this.failed && prefix.startsWith('batches/0')) {
      this.failed = true;
      throw new StoreError(`s3 store: list of key ${JSON.stringify(prefix)} failed: SlowDown`, {
        key: prefix,
      });
    }
    return super.list(prefix);
  }
}

describe('a transient store error while collecting garbage', () => {
  it('does not stop the coordinator', async () => {
    const store = new SlowDownOnce(jobStoreIn(new MemoryStore(), 'review'));
    const clock = new ManualClock(0, { autoAdvance: true });
    const source = new LogSource();
    source.records.push('a', 'b', 'c');
    const job = wordCount(source);
    job.ssc.start({ store, clock, zeroTime: 0, batches: 4, owner: 'only', batchRetryBackoffMs: 10 });
    await expect(job.ssc.awaitTermination()).resolves.toBeUndefined();
    expect(store.failed).toBe(true);
    expect(await sinkTotal(job.sink, store)).toBe(3);
  });
});
