import {
  ManualClock,
  MemoryStore,
  type Pair,
  readManifest,
  StoreSink,
  StreamingContext,
} from '../../../src/engine';
import { LeaseHeldError, StaleCoordinatorError } from '../../../src/engine/schedule';

function context(onFirstOutput?: () => Promise<void>) {
  const ssc = new StreamingContext({ batchInterval: '1s', partitions: 2, name: 'leased' });
  const sink = new StoreSink<Pair<string, number>>('out');
  const counts = ssc
    .queueStream([['a', 'b'], ['a'], ['c']])
    .map((w): Pair<string, number> => [w, 1])
    .reduceByKey((a, b) => a + b);
  counts.foreachBatch(async () => {
    await onFirstOutput?.();
  });
  counts.writeTo(sink);
  return { ssc, sink };
}

describe('coordinator lease', () => {
  it('refuses to start while another coordinator holds an unexpired lease, naming it', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(0, { autoAdvance: true });
    const stuck = new Promise<void>(() => undefined);
    const first = context(() => stuck);
    first.ssc.start({ store, clock, zeroTime: 0, batches: 3, owner: 'first' });
    await new Promise((r) => setTimeout(r, 50));
    const second = context();
    second.ssc.start({ store, clock, zeroTime: 0, batches: 3, owner: 'second' });
    await expect(second.ssc.awaitTermination()).rejects.toThrow(LeaseHeldError);
    await expect(second.ssc.awaitTermination()).rejects.toThrow(/coordinator first holds this job's lease/);
  });

  it('fences off a coordinator that was replaced while it ran a batch: it commits nothing', async () => {
    const store = new MemoryStore();
    // A frozen process sees no time go by (its lease renewals stop too): it has a clock of its own.
    const oldClock = new ManualClock(0, { autoAdvance: true });
    let release!: () => void;
    const paused = new Promise<void>((resolve) => {
      release = resolve;
    });
    let pauses = 0;
    // The old coordinator stalls inside batch 1000 (a long GC pause, a frozen Lambda) ...
    const old = context(async () => {
      if (pauses++ === 0) await paused;
    });
    old.ssc.start({ store, clock: oldClock, zeroTime: 0, batches: 3, owner: 'old', leaseTtlMs: 1000 });
    await new Promise((r) => setTimeout(r, 50));
    // ... its lease expires and a new coordinator, 5 s later, takes over and runs the batches.
    const clock = new ManualClock(5000, { autoAdvance: true });
    const fresh = context();
    fresh.ssc.start({ store, clock, zeroTime: 0, batches: 3, owner: 'new', leaseTtlMs: 1000 });
    await fresh.ssc.awaitTermination();
    const committedByNew = await readManifest(store, 1000);
    // The old one wakes up: its clock jumps by the time it was frozen.
    oldClock.advance(5000);
    release();
    await expect(old.ssc.awaitTermination()).rejects.toThrow(StaleCoordinatorError);
    // The stale coordinator wrote no manifest over the new one's, and the sink holds each batch once.
    expect(await readManifest(store, 1000)).toEqual(committedByNew);
    expect(await fresh.sink.committedBatches(store)).toEqual([1000, 2000, 3000]);
    expect((await fresh.sink.readBatch(store, 1000))?.sort()).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('hands over at once when a coordinator stops cleanly', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(0, { autoAdvance: true });
    const first = context();
    first.ssc.start({ store, clock, zeroTime: 0, batches: 1, owner: 'first' });
    await first.ssc.awaitTermination();
    const second = context();
    second.ssc.start({ store, clock, zeroTime: 0, batches: 2, owner: 'second' });
    await second.ssc.awaitTermination();
    expect(await second.sink.committedBatches(store)).toEqual([1000, 2000, 3000]);
  });
});
