/**
 * Lease.acquire lets an owner id take a live lease that is recorded under the same id, bumping the epoch.
 * On Lambda the successor's owner id travels in an asynchronous event, which Lambda may deliver twice
 * (and retries on failure): two invocations then run as the same owner, and the first one's assertHeld
 * stays free (no store request) for up to 2/3 of the TTL after the second took the lease from it.
 */
import { ManualClock, MemoryStore } from '../../../src/engine';
import { JobCatalog, jobStoreIn, Lease, LeaseHeldError } from '../../../src/engine/catalog';

describe('a second coordinator started with the same owner id', () => {
  it('cannot take a live lease from the first', async () => {
    const catalog = new JobCatalog(jobStoreIn(new MemoryStore(), 'review'));
    const clock = new ManualClock(0);
    const first = await Lease.acquire(catalog, clock, 'successor-1', 30_000);
    clock.advance(1000);
    await expect(Lease.acquire(catalog, clock, 'successor-1', 30_000)).rejects.toThrow(LeaseHeldError);
    await expect(first.assertHeld()).resolves.toBeUndefined();
  });
});
