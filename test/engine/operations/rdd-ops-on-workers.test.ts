/**
 * Sorting, zipWithIndex and sample run as tasks on worker threads, which rebuild the lineage (range
 * bounds, partition sizes) from the job module: the results equal the in-process run and the reference.
 */
import { resolve } from 'node:path';
import { ManualClock, MemoryStore, readManifest } from '../../../src/engine';
import { startEmbedded } from '../../../src/engine/runtime';
import { jobStore } from '../../../src/engine/runtime/config';
import { BATCHES, ranked, sampled } from './fixtures/rdd-ops-job';

const JOB = resolve(__dirname, 'fixtures/rdd-ops-job.ts');

async function runToEnd(runtime: 'threads' | 'memory') {
  const root = new MemoryStore();
  const job = startEmbedded({
    jobModule: JOB,
    runtime,
    workers: 2,
    store: root,
    clock: new ManualClock(0, { autoAdvance: true }),
    batches: BATCHES.length,
  });
  await job.done;
  const store = jobStore(root, 'rdd-ops');
  const times = BATCHES.map((_, i) => (i + 1) * 1000);
  return {
    ranked: await Promise.all(times.map((t) => ranked.readBatch(store, t))),
    sampled: await Promise.all(times.map((t) => sampled.readBatch(store, t))),
    locations: new Set((await readManifest(store, 3000))?.stages.map((stage) => stage.location)),
  };
}

describe('RDD operations on worker threads', () => {
  it('rank distinct words in descending order, as in this thread, with the same sample', async () => {
    const threads = await runToEnd('threads');
    const expected = BATCHES.map((lines) =>
      [...new Set(lines.flatMap((l) => l.split(' ')))]
        .sort()
        .reverse()
        .map((w, i) => [w, i]),
    );
    expect(threads.ranked).toEqual(expected);
    const memory = await runToEnd('memory');
    expect(memory).toEqual(threads);
    expect(threads.locations).toEqual(new Set(['tasks']));
    expect(threads.sampled.flatMap((rows) => rows ?? []).length).toBeGreaterThan(0);
  });
});
