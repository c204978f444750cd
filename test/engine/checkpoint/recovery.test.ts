import fc from 'fast-check';
import { type Pair, readManifest } from '../../../src/engine';
import { unpackCheckpoint } from '../../../src/engine/exec/checkpoint-pack';
import { steppedContext } from './harness';

const sum = (a: number, b: number) => a + b;

function runningCounts(inputs: string[][], upTo: number): Pair<string, number>[] {
  const counts = new Map<string, number>();
  for (const batch of inputs.slice(0, upTo)) for (const w of batch) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].sort();
}

describe('checkpoints and lineage', () => {
  it('recomputes every lost state partition at batch 30 from the last checkpoint, without older input', async () => {
    const inputs = fc.sample(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 12 }), {
      numRuns: 30,
      seed: 42,
    });
    const job = steppedContext(inputs, (s) =>
      s
        .map((w): Pair<string, number> => [w, 1])
        .updateStateByKey<string, number, number>((values, state) => (state ?? 0) + values.reduce(sum, 0)),
    );
    await job.run(25);
    expect((await readManifest(job.store, 20_000))?.checkpoints).toEqual([
      expect.objectContaining({ operator: 'updateStateByKey' }),
    ]);

    // State between checkpoints lives with the coordinator, never in the store.
    expect((await job.store.list('batches/')).filter((e) => e.key.includes('/stored/'))).toEqual([]);
    // Lose the coordinator and every input at or before the checkpoint at 20 s.
    const oldInput = (await job.store.list('batches/')).filter(
      (e) => e.key.includes('/input/') && Number(e.key.split('/')[1]) <= 20_000,
    );
    await job.store.delete(oldInput.map((e) => e.key));
    job.loseCoordinator();

    await job.run(5);
    for (let batch = 1; batch <= 30; batch++) {
      expect([...(job.outputs.get(batch * 1000) as Pair<string, number>[])].sort()).toEqual(
        runningCounts(inputs, batch),
      );
    }
    expect((await readManifest(job.store, 30_000))?.status).toBe('committed');
    // The first batch after the loss records what it found lost and recomputed.
    const recovered = (await readManifest(job.store, 26_000))?.recovery;
    expect(recovered?.lost.some((what) => what.startsWith('updateStateByKey'))).toBe(true);
    expect((await readManifest(job.store, 25_000))?.recovery).toBeUndefined();
  });

  it('reads two slices per batch for a 30 s incremental window over 1 s batches, not thirty', async () => {
    const inputs = Array.from({ length: 40 }, (_, i) => [`k${i % 5}`, `k${(i * 3) % 7}`]);
    const build = (inverse: boolean) => (s: import('../../../src/engine').DStream<string>) =>
      s
        .map((w): Pair<string, number> => [w, 1])
        .reduceByKeyAndWindow(sum, {
          window: '30s',
          ...(inverse ? { inverse: (a: number, b: number) => a - b } : {}),
        });
    const readsOfBatch40 = async (inverse: boolean) => {
      const job = steppedContext(inputs, build(inverse), { partitions: 2 });
      await job.run(39);
      job.shipped.length = 0;
      await job.run(1);
      // Held by the coordinator and shipped with the tasks; none is read from the store.
      expect(job.store.storedReads).toEqual([]);
      return job.shipped;
    };
    const incremental = await readsOfBatch40(true);
    // Previous window, the slice that left, for each of the 2 partitions: about 2 slices, whatever the window.
    expect(incremental.length).toBeLessThanOrEqual(2 * 3);
    const naive = await readsOfBatch40(false);
    expect(naive.length).toBeGreaterThanOrEqual(2 * 29);
  });

  it('keeps the store bounded over 300 batches of a 10 s window with state', async () => {
    const inputs = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 20 }, (_, j) => `w${(i * 7 + j * 13) % 50}`),
    );
    const job = steppedContext(inputs, (s) => {
      const pairs = s.map((w): Pair<string, number> => [w, 1]);
      const windowed = pairs.reduceByKeyAndWindow(sum, { window: '10s', inverse: (a, b) => a - b });
      const totals = pairs.updateStateByKey<string, number, number>((v, st) => (st ?? 0) + v.length);
      return windowed.union(totals);
    });
    const sizes: { objects: number; bytes: number }[] = [];
    for (let i = 0; i < 30; i++) {
      await job.run(10);
      sizes.push(job.store.stats());
    }
    const early = sizes.slice(3, 10);
    const late = sizes.slice(20);
    const maxOf = (xs: { objects: number; bytes: number }[], k: 'objects' | 'bytes') =>
      Math.max(...xs.map((x) => x[k]));
    expect(maxOf(late, 'objects')).toBeLessThanOrEqual(maxOf(early, 'objects') * 1.05);
    expect(maxOf(late, 'bytes')).toBeLessThanOrEqual(maxOf(early, 'bytes') * 1.1);
    // Only recent batches have data; the oldest manifest kept is within the monitoring history.
    const batchTimes = new Set((await job.store.list('batches/')).map((e) => Number(e.key.split('/')[1])));
    expect(Math.min(...batchTimes)).toBeGreaterThanOrEqual(300_000 - 21_000);
    const manifests = await job.store.list('manifests/');
    expect(manifests.length).toBeLessThanOrEqual(101);
  });

  it('checkpoints by default every smallest multiple of the slide that is at least 10 s', async () => {
    const inputs = Array.from({ length: 24 }, (_, i) => [`k${i % 3}`]);
    const job = steppedContext(inputs, (s) =>
      s
        .map((w): Pair<string, number> => [w, 1])
        .reduceByKeyAndWindow(sum, { window: '6s', slide: '3s', inverse: (a, b) => a - b }),
    );
    await job.run(24);
    const checkpointed: number[] = [];
    for (let t = 1000; t <= 24_000; t += 1000) {
      if ((await readManifest(job.store, t))?.checkpoints?.length) checkpointed.push(t);
    }
    expect(checkpointed).toEqual([12_000, 24_000]);
  });

  it('checkpoints at the interval set with checkpoint()', async () => {
    const inputs = Array.from({ length: 8 }, (_, i) => [`k${i % 3}`]);
    const job = steppedContext(inputs, (s) =>
      s
        .map((w): Pair<string, number> => [w, 1])
        .updateStateByKey<string, number, number>((v, st) => (st ?? 0) + v.length)
        .checkpoint('4s'),
    );
    await job.run(8);
    const checkpointed: number[] = [];
    for (let t = 1000; t <= 8000; t += 1000) {
      if ((await readManifest(job.store, t))?.checkpoints?.length) checkpointed.push(t);
    }
    expect(checkpointed).toEqual([4000, 8000]);
    // Both state partitions, packed into one object.
    const [packed] = await job.store.list('checkpoints/000000000008000/');
    expect(packed.key).toBe('checkpoints/000000000008000/packed');
    expect(unpackCheckpoint((await job.store.get(packed.key))!, packed.key).size).toBe(2);
  });
});

describe('checkpoints of streams that pass another stream through', () => {
  it('checkpoints a state stream and a transform of it separately', async () => {
    const { runBatches } = await import('../../../src/engine/testing');
    const inputs = Array.from({ length: 12 }, () => ['a']);
    const out = await runBatches(inputs, (s) =>
      s
        .map((w): Pair<string, number> => [w, 1])
        .updateStateByKey<string, number, number>((v, st) => (st ?? 0) + v.length)
        .transform((r) => r)
        .checkpoint('2s'),
    );
    expect(out.map((batch) => batch[0])).toEqual(inputs.map((_, i) => ['a', i + 1]));
  });
});
