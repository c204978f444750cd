/**
 * A conditional PUT whose response is lost (timeout, connection reset) is retried by the AWS SDK with the
 * same If-None-Match / If-Match header. The first request already landed, so the retry gets 412, which
 * S3Store reports as ConditionFailedError: "another writer won". Here there is no other writer.
 */
import { ManualClock, MemoryStore } from '../../../src/engine';
import { JobCatalog, jobStoreIn, Lease } from '../../../src/engine/catalog';
import type { Store, WriteCondition } from '../../../src/engine/io/ports';
import { CountingStore, LogSource, sinkTotal, wordCount } from '../../support/log-source';

/** Lands the write, then sends it again as the SDK's retry would after losing the first response. */
class LostResponseStore extends CountingStore {
  constructor(
    inner: Store,
    private hit: (key: string, condition: WriteCondition) => boolean,
  ) {
    super(inner);
  }
  override async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    const version = await super.putIf(key, body, condition);
    if (this.hit(key, condition)) {
      this.hit = () => false;
      return super.putIf(key, body, condition); // 412: the first attempt already changed the object
    }
    return version;
  }
}

/** Three batches of a word count whose claim of batch 2000 lands but loses its response. */
function runLosingClaimResponse() {
  const store = new LostResponseStore(
    jobStoreIn(new MemoryStore(), 'review'),
    (key, condition) => key === 'manifests/000000000002000.json' && 'ifAbsent' in condition,
  );
  const clock = new ManualClock(0, { autoAdvance: true });
  const job = wordCount(new LogSource(['a', 'b', 'a']));
  job.ssc.start({ store, clock, zeroTime: 0, batches: 3, owner: 'only', batchRetryBackoffMs: 10 });
  return { store, clock, job };
}

describe('a conditional write whose first response was lost (SDK retry gets 412)', () => {
  it('does not make the only coordinator give up a batch it claimed itself', async () => {
    const { store, job } = runLosingClaimResponse();
    await expect(job.ssc.awaitTermination()).resolves.toBeUndefined();
    expect(await sinkTotal(job.sink, store)).toBe(3);
  });

  it('leaves the lease free for the next coordinator when it does give up', async () => {
    const { store, clock, job } = runLosingClaimResponse();
    await job.ssc.awaitTermination().catch(() => undefined);
    await expect(Lease.acquire(new JobCatalog(store), clock, 'next', 33_000)).resolves.toBeDefined();
  });

  it('does not make the lease holder think it was replaced when a renewal response was lost', async () => {
    const root = new MemoryStore();
    const store = new LostResponseStore(
      jobStoreIn(root, 'review'),
      (key, c) => key === 'lease.json' && 'ifVersion' in c,
    );
    const clock = new ManualClock(0);
    const lease = await Lease.acquire(new JobCatalog(store), clock, 'only', 3000);
    clock.advance(2500);
    await expect(lease.assertHeld()).resolves.toBeUndefined();
  });
});
