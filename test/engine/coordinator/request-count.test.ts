/**
 * What one batch costs in store requests (each one an S3 request on AWS) in steady state, for a
 * one-shuffle job with a store sink: map -> reduceByKey -> StoreSink, 2 partitions, 1 s batches.
 */
import { ManualClock, MemoryStore } from '../../../src/engine';
import { jobStoreIn } from '../../../src/engine/catalog';
import { CountingStore, LogSource, wordCount } from '../../support/log-source';

function area(key: string): string {
  if (key === 'lease.json') return 'lease';
  if (key.startsWith('manifests/')) return 'manifest';
  if (key === 'job.json') return 'job';
  if (key.startsWith('sinks/')) return 'sink';
  if (key.startsWith('batches/')) return 'transient';
  return key;
}

describe('store requests per batch in steady state', () => {
  it('are counted by kind and area', async () => {
    const store = new CountingStore(jobStoreIn(new MemoryStore(), 'review'));
    const clock = new ManualClock(0, { autoAdvance: true });
    const source = new LogSource();
    let batchesSeen = 0;
    const window = { from: 110, to: 210 };
    const job = wordCount(source);
    job.ssc.start({
      store,
      clock,
      zeroTime: 0,
      batches: window.to,
      owner: 'only',
      onBatch: () => {
        batchesSeen++;
        source.records.push(`w${batchesSeen % 7}`, `w${batchesSeen % 5}`);
        if (batchesSeen === window.from) store.reset();
      },
    });
    await job.ssc.awaitTermination();
    const n = window.to - window.from;
    const table: Record<string, number> = {};
    for (const c of store.calls) {
      const k = `${c.op} ${area(c.key)}`;
      table[k] = (table[k] ?? 0) + 1;
    }
    const perBatch = Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v / n]));
    // Metadata requests the fence costs per batch: claim (create-once) and commit (compare-and-set), and
    // a lease renewal every 2/3 of its time-to-live. No look-up of an earlier attempt after the first batch
    // of a run: a claim another coordinator made meanwhile is caught by the create-once write itself.
    expect(perBatch['putIf manifest']).toBe(2);
    expect(perBatch['getVersioned manifest']).toBeUndefined();
    expect(perBatch['putIf lease'] ?? 0).toBeLessThan(0.1);
    // The whole batch: 10 requests plus a lease renewal every ~20 batches (21.02 at 6a71d91, before the
    // fence; 17.05 before data moved in task payloads). This source cannot be re-read by range, so its
    // blocks are written, read and cleaned (6 of the 10); the shuffle and the result never touch the store.
    expect(store.calls.length / n).toBeLessThanOrEqual(10.05);
    expect(store.calls.filter((c) => /\/(shuffle|result|stored)\//.test(c.key))).toEqual([]);
    // Old manifests go in the same delete request as old batch data.
    expect(perBatch['delete manifest'] ?? 0).toBe(0);
  });
});
