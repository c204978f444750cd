import { readManifest } from '../../../src/engine';
import { steppedContext } from './harness';

describe('lost input blocks', () => {
  it('replays a lost input block from the ranges recorded in its batch manifest', async () => {
    const inputs = [['a', 'b', 'c', 'd'], ['e', 'f'], ['g']];
    const job = steppedContext(inputs, (s) => s.window({ window: '2s' }), { partitions: 2 });
    await job.run(1);
    // Lose the cached window slice and the input blocks of batch 1: batch 2's window must re-read them.
    const lost = (await job.store.list('batches/000000000001000/')).filter(
      (e) => e.key.includes('/stored/') || e.key.includes('/input/'),
    );
    expect(lost.some((e) => e.key.includes('/input/'))).toBe(true);
    await job.store.delete(lost.map((e) => e.key));
    await job.run(2);
    expect(job.outputs.get(2000)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(job.outputs.get(3000)).toEqual(['e', 'f', 'g']);
    expect((await readManifest(job.store, 1000))?.inputs[0].ranges[0].count).toBe(4);
    // The replayed blocks were written back.
    expect((await job.store.list('batches/000000000001000/input/')).length).toBe(2);
  });
});
