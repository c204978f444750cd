import { ManualClock, MemoryStore, SystemClock } from '../../../src/engine';
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

  it('lets its lease expire once a batch has run longer than allowed, so another coordinator can take over', async () => {
    const store = jobStoreIn(new MemoryStore(), 'review');
    const clock = new SystemClock();
    const job = wordCount(new LogSource(['a']));
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    job.ssc.inputStream(new LogSource(), { name: 'idle' }).foreachBatch(() => stuck);
    job.ssc.start({ store, clock, batches: 1, owner: 'stuck', leaseTtlMs: 300, maxBatchMs: 400 });
    // The stuck batch stops renewing after maxBatchMs; then the lease runs out (however loaded the machine).
    let next: Lease | undefined;
    for (let tries = 0; !next && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      next = await Lease.acquire(new JobCatalog(store), clock, 'next', 300).catch((error) => {
        if (error instanceof LeaseHeldError) return undefined;
        throw error;
      });
    }
    expect(next?.owner).toBe('next');
    release();
    await expect(job.ssc.awaitTermination()).rejects.toThrow(/replaced by next|claimed by another/);
  });
});

describe('renewing a lease in the background', () => {
  it('renews on its own clock every third of the time-to-live, and a stopped renewal leaves no sleeper', async () => {
    const catalog = new JobCatalog(jobStoreIn(new MemoryStore(), 'review'));
    const clock = new ManualClock(0);
    const lease = await Lease.acquire(catalog, clock, 'slow-stage', 3000);
    const stop = lease.keepAlive();
    expect(clock.pendingSleepers).toBe(1);

    clock.advance(1000);
    for (let turns = 0; lease.expiresAt !== 4000 && turns < 100; turns++) await new Promise(setImmediate);
    expect(lease.expiresAt).toBe(4000);
    expect((await catalog.readLease())?.value.expiresAt).toBe(4000);

    stop();
    expect(clock.pendingSleepers).toBe(0);
  });

  it('stops renewing once the batch has run longer than allowed', async () => {
    const catalog = new JobCatalog(jobStoreIn(new MemoryStore(), 'review'));
    const clock = new ManualClock(0);
    const lease = await Lease.acquire(catalog, clock, 'stuck', 3000);
    lease.keepAlive(1500);
    clock.advance(1000);
    for (let turns = 0; lease.expiresAt !== 4000 && turns < 100; turns++) await new Promise(setImmediate);
    clock.advance(1000);
    for (let turns = 0; turns < 20; turns++) await new Promise(setImmediate);
    expect(lease.expiresAt).toBe(4000);
    expect(clock.pendingSleepers).toBe(0);
  });
});
