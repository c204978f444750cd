import { ManualClock, MemoryStore } from '../../../src/engine';
import { JobCatalog, jobStoreIn, Lease } from '../../../src/engine/catalog';
import { StoreError } from '../../../src/engine/io/errors';
import type { WriteCondition } from '../../../src/engine/io/ports';
import { CountingStore, LogSource, wordCount } from '../../support/log-source';

/** Fails the job identity read once and the next lease write once, like a burst of S3 SlowDown. */
class SlowDownBurst extends CountingStore {
  failJobRead = true;
  failLeaseWrites = 0;
  override async getVersioned(key: string) {
    if (key === 'job.json' && this.failJobRead) {
      this.failJobRead = false;
      this.failLeaseWrites = 1;
      throw new StoreError('s3 store: get of "job.json" failed: SlowDown', { key });
    }
    return super.getVersioned(key);
  }
  override async putIf(key: string, body: Uint8Array, condition: WriteCondition) {
    if (key === 'lease.json' && this.failLeaseWrites > 0) {
      this.failLeaseWrites--;
      throw new StoreError('s3 store: put of "lease.json" failed: SlowDown', { key });
    }
    return super.putIf(key, body, condition);
  }
}

describe('a coordinator whose start fails', () => {
  it('releases its lease even when the store refuses the first release, so the next one starts at once', async () => {
    const store = new SlowDownBurst(jobStoreIn(new MemoryStore(), 'release'));
    const clock = new ManualClock(0, { autoAdvance: true });
    const first = wordCount(new LogSource(['a']), 'release');
    first.ssc.start({ store, clock, zeroTime: 0, batches: 1, owner: 'first' });
    await expect(first.ssc.awaitTermination()).rejects.toThrow(/SlowDown/);
    const next = await Lease.acquire(new JobCatalog(store), clock, 'next', 30_000);
    expect(next.epoch).toBe(2);
  });
});
