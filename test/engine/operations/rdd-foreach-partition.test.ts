/**
 * stream.foreachPartition: an output operation that runs user code on every partition of every batch,
 * inside the tasks, awaited before the batch completes.
 */

import type { DStream } from '../../../src/engine';
import { BatchFailedError, ManualClock, readManifest, StreamingContext } from '../../../src/engine';
import { MemoryStore } from '../../../src/engine/io/memory-store';

async function run<T>(inputs: T[][], define: (stream: DStream<T>) => void, store = new MemoryStore()) {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 3, name: 'foreach-partition' });
  define(ssc.queueStream(inputs));
  ssc.start({
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: inputs.length,
    retry: { backoffMs: 0, maxAttempts: 1 },
  });
  await ssc.awaitTermination();
}

describe('stream.foreachPartition', () => {
  it('runs the function once per partition of every batch, with the partition and the batch time', async () => {
    const calls: [number, number, number[]][] = [];
    const partitions: number[][][] = [];
    await run([[1, 2, 3, 4, 5], [], [6]], (s) => {
      const doubled = s.map((x) => x * 2);
      doubled.foreachPartition((rows, partition, time) => {
        calls.push([time, partition, rows]);
      });
      doubled.foreachBatch(async (rdd) => {
        partitions.push(await rdd.glom().collect());
      });
    });
    calls.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(calls.map(([time, partition]) => [time, partition])).toEqual([
      [1000, 0],
      [1000, 1],
      [1000, 2],
      [2000, 0],
      [2000, 1],
      [2000, 2],
      [3000, 0],
      [3000, 1],
      [3000, 2],
    ]);
    expect(calls.map(([, , rows]) => rows)).toEqual(partitions.flat());
  });

  it('runs as sink tasks: no rows travel to the coordinator for it', async () => {
    const store = new MemoryStore();
    await run([[1, 2, 3, 4]], (s) => s.foreachPartition(() => undefined), store);
    const stages = (await readManifest(store, 1000))!.stages;
    expect(stages.map((stage) => [stage.kind, stage.location, stage.bytes])).toEqual([['sink', 'tasks', 0]]);
  });

  it('the batch completes only after every async call has finished', async () => {
    const finished: number[] = [];
    const completedBatches: number[] = [];
    await run([[1, 2, 3]], (s) => {
      s.foreachPartition(async (_rows, partition) => {
        await new Promise((resolve) => setImmediate(resolve));
        finished.push(partition);
      });
      s.foreachBatch((_rdd, time) => {
        completedBatches.push(time);
        expect([...finished].sort()).toEqual([0, 1, 2]);
      });
    });
    expect(completedBatches).toEqual([1000]);
  });

  it('a failing function fails the batch, naming the partition', async () => {
    const done = run([[1, 2, 3]], (s) =>
      s.foreachPartition((_rows, partition) => {
        if (partition === 1) throw new Error('database down');
      }),
    );
    await expect(done).rejects.toThrow(BatchFailedError);
    await expect(done).rejects.toThrow(/foreachPartition.*partition 1.*database down/);
  });
});
