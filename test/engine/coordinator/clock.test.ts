import { StreamingContext } from '../../../src/engine/api';
import { ManualClock } from '../../../src/engine/io/clock';
import { MemoryStore } from '../../../src/engine/io/memory-store';
import { type BatchInfo, readManifest } from '../../../src/engine/schedule';
import { listManifests, waitFor } from './helpers';

interface Harness {
  ssc: StreamingContext;
  clock: ManualClock;
  store: MemoryStore;
  infos: BatchInfo[];
  outputs: Map<number, number[]>;
  /** Waits until the coordinator sleeps until `time` (it has finished everything before it). */
  sleepingUntil(time: number): Promise<void>;
}

/** A 1 s job on a manual clock that moves only when the test says so. */
function start(batches: number[][], options: { batches?: number; hold?: Promise<void> } = {}): Harness {
  const clock = new ManualClock(0);
  const store = new MemoryStore();
  const infos: BatchInfo[] = [];
  const outputs = new Map<number, number[]>();
  const ssc = new StreamingContext({ batchInterval: '1s', partitions: 2, name: 'clocked' });
  ssc.queueStream(batches).foreachBatch(async (rdd, time) => {
    outputs.set(time, await rdd.collect());
    await options.hold;
  });
  ssc.start({
    clock,
    store,
    zeroTime: 0,
    batches: options.batches,
    retry: { backoffMs: 0 },
    onBatch: (info) => infos.push(info),
  });
  return {
    ssc,
    clock,
    store,
    infos,
    outputs,
    sleepingUntil: (time) => waitFor(() => clock.nextWakeup() === time, `a sleeper until ${time}`),
  };
}

describe('coordinator on a manual clock', () => {
  it('waits for the clock to reach each batch time before running the batch', async () => {
    const h = start([[1], [2, 3], [4]], { batches: 3 });
    await h.sleepingUntil(1000);
    expect(h.infos).toEqual([]);
    expect(await readManifest(h.store, 1000)).toBeUndefined();

    h.clock.advance(999);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(h.infos).toEqual([]);
    expect(h.clock.nextWakeup()).toBe(1000);

    h.clock.advance(1);
    await h.sleepingUntil(2000);
    expect(h.infos.map((i) => i.batchTime)).toEqual([1000]);
    expect([...h.outputs.entries()]).toEqual([[1000, [1]]]);
    expect((await readManifest(h.store, 1000))?.status).toBe('committed');
    expect(await readManifest(h.store, 2000)).toBeUndefined();

    h.clock.advance(1000);
    await h.sleepingUntil(3000);
    expect(h.infos.map((i) => i.batchTime)).toEqual([1000, 2000]);
    expect(h.outputs.get(2000)).toEqual([2, 3]);

    h.clock.advance(1000);
    await h.ssc.awaitTermination();
    expect(h.infos.map((i) => [i.batchTime, i.records])).toEqual([
      [1000, 1],
      [2000, 2],
      [3000, 1],
    ]);
    for (const info of h.infos) expect(info.schedulingDelayMs).toBe(0);
  });

  it('records the scheduling delay of a batch that starts late, and catches up on missed batches', async () => {
    const h = start([[1], [2], [3]], { batches: 3 });
    await h.sleepingUntil(1000);
    // The clock jumps past two batch times at once: both run, late, back to back.
    h.clock.advance(2500);
    await h.sleepingUntil(3000);
    expect(h.infos.map((i) => [i.batchTime, i.schedulingDelayMs])).toEqual([
      [1000, 1500],
      [2000, 500],
    ]);
    const late = (await readManifest(h.store, 1000))!;
    expect(late.timing).toMatchObject({ scheduledAt: 1000, startedAt: 2500, schedulingDelayMs: 1500 });
    expect(late.timing.processingMs).toBe(0);

    h.clock.advance(700);
    await h.ssc.awaitTermination();
    expect((await readManifest(h.store, 3000))!.timing).toMatchObject({
      startedAt: 3200,
      schedulingDelayMs: 200,
    });
  });

  it('measures processing time on the clock it was given', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = start([[1]], { batches: 1, hold });
    await h.sleepingUntil(1000);
    h.clock.advance(1000);
    await waitFor(() => h.outputs.has(1000), 'batch 1000 to be collected');
    h.clock.advance(250);
    release();
    await h.ssc.awaitTermination();
    expect((await readManifest(h.store, 1000))!.timing).toMatchObject({
      startedAt: 1000,
      finishedAt: 1250,
      processingMs: 250,
    });
    expect(h.infos[0].processingMs).toBe(250);
  });

  it('stops cleanly between batches: stop() resolves, no further batch runs even when time moves on', async () => {
    const h = start([[1], [2], [3]]);
    await h.sleepingUntil(1000);
    h.clock.advance(1000);
    await h.sleepingUntil(2000);

    await expect(h.ssc.stop()).resolves.toBeUndefined();
    await expect(h.ssc.awaitTermination()).resolves.toBeUndefined();
    h.clock.advance(5000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(h.infos.map((i) => i.batchTime)).toEqual([1000]);
    expect((await listManifests(h.store)).map((m) => [m.batchTime, m.status])).toEqual([[1000, 'committed']]);
    // Stopping again is harmless.
    await expect(h.ssc.stop()).resolves.toBeUndefined();
  });

  it('stop() during a batch lets that batch commit and runs no more', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = start([[1], [2]], { hold });
    await h.sleepingUntil(1000);
    h.clock.advance(5000);
    await waitFor(() => h.outputs.has(1000), 'batch 1000 to be collected');

    let stopped = false;
    const stopping = h.ssc.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(h.infos.map((i) => i.batchTime)).toEqual([1000]);
    expect((await readManifest(h.store, 1000))?.status).toBe('committed');
    // Batch 2000 was already due (the clock is at 5000) but the stop came first.
    expect(await readManifest(h.store, 2000)).toBeUndefined();
  });

  it('stop() before the first batch time runs no batch at all', async () => {
    const h = start([[1]]);
    await h.sleepingUntil(1000);
    await h.ssc.stop();
    expect(h.infos).toEqual([]);
    expect(await listManifests(h.store)).toEqual([]);
  });

  it('defaults the zero time to the clock time rounded down to the batch interval', async () => {
    const clock = new ManualClock(12_345);
    const ssc = new StreamingContext({ batchInterval: 1000, name: 'z' });
    const times: number[] = [];
    ssc.queueStream([[1]]).foreachBatch((_rdd, time) => {
      times.push(time);
    });
    ssc.start({ clock, batches: 1 });
    await waitFor(() => clock.nextWakeup() === 13_000, 'a sleeper until 13000');
    expect(ssc.graph.zeroTime).toBe(12_000);
    clock.advance(655);
    await ssc.awaitTermination();
    expect(times).toEqual([13_000]);
  });
});
