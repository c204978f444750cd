import { MemoryStore, SystemClock } from '../../../src/engine';
import { JobCatalog, jobStoreIn, Lease, LeaseHeldError } from '../../../src/engine/catalog';
import { LogSource, sinkTotal, wordCount } from '../../support/log-source';

describe('a coordinator whose batch has a slow stage', () => {
  it('keeps its lease while it is alive and working', async () => {
    const store = jobStoreIn(new MemoryStore(), 'review');
    const clock = new SystemClock();
    const source = new LogSource();
    source.records.push('a', 'b');
    const job = wordCount(source);
    let watchdog: unknown;
    // Driver code that runs three times longer than the lease lasts; then a watchdog tries to take over.
    job.ssc.inputStream(new LogSource(), { name: 'idle' }).foreachBatch(async () => {
      await new Promise((r) => setTimeout(r, 900));
      watchdog = await Lease.acquire(new JobCatalog(store), clock, 'watchdog', 300).catch((e) => e);
    });
    job.ssc.start({ store, clock, batches: 1, owner: 'healthy', leaseTtlMs: 300 });
    await job.ssc.awaitTermination();
    expect(watchdog).toBeInstanceOf(LeaseHeldError);
    expect(await sinkTotal(job.sink, store)).toBe(2);
  });
});
