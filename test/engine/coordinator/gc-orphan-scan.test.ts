/**
 * The cleaner's first collection starts from the oldest key under transient/<job>/batches/ and LISTs one
 * prefix per batch interval from there, sequentially, inside the first batch of every new coordinator.
 * A leftover written after its batch was collected (a speculative loser or a timed-out task invocation
 * that kept running) makes that scan as long as the leftover is old (bounded only by the 7-day lifecycle).
 */
import { ManualClock, MemoryStore } from '../../../src/engine';
import { JobCatalog, jobStoreIn } from '../../../src/engine/catalog';
import { CountingStore, LogSource, wordCount } from '../../support/log-source';

describe('garbage collection after a late task write', () => {
  it('costs a bounded number of LIST requests, not one per batch interval since the leftover', async () => {
    const root = new MemoryStore();
    const store = new CountingStore(jobStoreIn(root, 'review'));
    const clock = new ManualClock(0, { autoAdvance: true });
    const source = new LogSource();
    source.records.push('a', 'b');
    const first = wordCount(source);
    first.ssc.start({ store, clock, zeroTime: 0, batches: 1, owner: 'first' });
    await first.ssc.awaitTermination();

    // The job has since run 20,000 batches (simulated by its newest committed manifest) ...
    const catalog = new JobCatalog(store);
    const m = (await catalog.readManifest(1000))!.value;
    const later = 20_000_000;
    await catalog.writeManifest({ ...m, batchTime: later }, undefined);
    // ... and a straggler task of batch 2000 wrote its shuffle file after that batch had been collected.
    await store.put('batches/000000000002000/shuffle/late/0', new Uint8Array([1]));

    clock.setTime(later + 500);
    const next = wordCount(source);
    store.reset();
    next.ssc.start({ store, clock, batches: 1, owner: 'next' });
    await next.ssc.awaitTermination();
    const lists = store.count('list');
    expect(lists).toBeLessThan(50);
  });
});
