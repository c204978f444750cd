import { type Pair, readManifest } from '../../../src/engine';
import { packCheckpoint, unpackCheckpoint } from '../../../src/engine/exec/checkpoint-pack';
import { CorruptDataError } from '../../../src/engine/exec/errors';
import { steppedContext } from './harness';

const letters = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
const inputs = Array.from({ length: 30 }, (_, i) => [
  letters[i % 7],
  letters[(i * 3) % 7],
  letters[(i * 5) % 4],
]);

function runningCounts(upTo: number): Pair<string, number>[] {
  const counts = new Map<string, number>();
  for (const batch of inputs.slice(0, upTo)) for (const w of batch) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].sort();
}

function runningCountJob(state: (count: number) => unknown = (count) => count) {
  return steppedContext(inputs, (s) =>
    s
      .map((w): Pair<string, number> => [w, 1])
      .updateStateByKey<string, number, { count: number; pad?: unknown }>((values, previous) => {
        const count = (previous?.count ?? 0) + values.length;
        return { count, pad: state(count) };
      })
      .map(([word, { count }]): Pair<string, number> => [word, count]),
  );
}

async function checkpointKeys(job: ReturnType<typeof runningCountJob>, time: number): Promise<string[]> {
  return (await job.store.list(`checkpoints/${String(time).padStart(15, '0')}/`)).map((e) => e.key);
}

function expectRunningCounts(job: ReturnType<typeof runningCountJob>, batches: number) {
  for (let batch = 1; batch <= batches; batch++) {
    expect([...(job.outputs.get(batch * 1000) as Pair<string, number>[])].sort()).toEqual(
      runningCounts(batch),
    );
  }
}

describe('packed checkpoints', () => {
  it('round-trips partitions through one object with an index', () => {
    const parts = [
      ['checkpoints/000000000010000/s1/0', new Uint8Array([1, 2, 3])],
      ['checkpoints/000000000010000/s1/1', new Uint8Array([])],
      ['checkpoints/000000000010000/s2/0', new Uint8Array([9])],
    ] as const;
    const unpacked = unpackCheckpoint(packCheckpoint(parts), 'packed');
    expect([...unpacked].map(([key, bytes]) => [key, [...bytes]])).toEqual(
      parts.map(([key, bytes]) => [key, [...bytes]]),
    );
  });

  it('rejects a packed object whose index names bytes it does not have', () => {
    const packed = packCheckpoint([['k', new Uint8Array([1, 2, 3])]]);
    expect(() => unpackCheckpoint(packed.subarray(0, packed.length - 1), 'cut')).toThrow(CorruptDataError);
    expect(() => unpackCheckpoint(new Uint8Array([0, 0, 0, 9, 1]), 'short')).toThrow(CorruptDataError);
  });

  it('saves a small checkpoint as one object, and recovers from it after the coordinator is lost', async () => {
    const job = runningCountJob();
    await job.run(25);
    expect(await checkpointKeys(job, 20_000)).toEqual(['checkpoints/000000000020000/packed']);
    job.loseCoordinator();
    await job.run(5);
    expectRunningCounts(job, 30);
    const recovered = (await readManifest(job.store, 26_000))?.recovery;
    expect(recovered?.lost.some((what) => what.startsWith('updateStateByKey'))).toBe(true);
  });

  it('recovers from a checkpoint saved one object per partition, as earlier versions did', async () => {
    const job = runningCountJob();
    await job.run(25);
    const packedKey = 'checkpoints/000000000020000/packed';
    for (const [key, bytes] of unpackCheckpoint((await job.store.get(packedKey))!, packedKey))
      await job.store.put(key, bytes);
    await job.store.delete([packedKey]);
    job.loseCoordinator();
    await job.run(5);
    expectRunningCounts(job, 30);
  });

  it('saves each partition on its own when the checkpoint is too big to pack', async () => {
    // Seven keys of ~700 KB each: about 5 MB of state, over the 4 MiB packing limit.
    const job = runningCountJob((count) => `${count}`.padEnd(700_000, '.'));
    await job.run(11);
    expect(await checkpointKeys(job, 10_000)).toEqual([
      'checkpoints/000000000010000/s2/0',
      'checkpoints/000000000010000/s2/1',
    ]);
    job.loseCoordinator();
    await job.run(2);
    expectRunningCounts(job, 13);
  });
});
