import { resolve } from 'node:path';
import { ManualClock, MemoryStore, type Pair, readManifest } from '../../src/engine';
import { startEmbedded } from '../../src/engine/runtime';
import { jobStore } from '../../src/engine/runtime/config';
import { BATCHES, sink } from './fixtures/pairs-job';

const JOB = resolve(__dirname, 'fixtures/pairs-job.ts');

function expectedCounts(lines: string[]): Pair<string, [number, number | null]>[] {
  const counts = new Map<string, number>();
  for (const word of lines.flatMap((l) => l.split(' '))) counts.set(word, (counts.get(word) ?? 0) + 1);
  return [...counts].map(([w, n]): Pair<string, [number, number | null]> => [w, [n, w.length * 10]]).sort();
}

async function runToEnd(runtime: 'threads' | 'memory', workers: number) {
  const store = new MemoryStore();
  const job = startEmbedded({
    jobModule: JOB,
    runtime,
    workers,
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    batches: BATCHES.length,
  });
  await job.done;
  const scoped = jobStore(store, 'pairs');
  const batches = await sink.committedBatches(scoped);
  const outputs = await Promise.all(batches.map(async (t) => (await sink.readBatch(scoped, t))!.sort()));
  return { batches, outputs, store: scoped };
}

describe('embedded runtime', () => {
  it('runs tasks on worker threads that receive only the task description and match the naive result', async () => {
    const { batches, outputs, store } = await runToEnd('threads', 2);
    expect(batches).toEqual([1000, 2000, 3000, 4000]);
    expect(outputs).toEqual(BATCHES.map((lines) => expectedCounts(lines)));
    const manifest = await readManifest(store, 3000);
    expect(manifest?.status).toBe('committed');
    expect(manifest?.stages.every((s) => s.location === 'tasks')).toBe(true);
  });

  it('gives the same sink output on the in-process runtime as on worker threads', async () => {
    const threads = await runToEnd('threads', 3);
    const memory = await runToEnd('memory', 1);
    expect(memory.outputs).toEqual(threads.outputs);
  });

  it('rejects a job module that does not export a job, naming the module', () => {
    expect(() => startEmbedded({ jobModule: resolve(__dirname, 'fixtures/not-a-job.ts') })).toThrow(
      /not-a-job\.ts does not export a job: export default defineJob/,
    );
  });

  it('rejects an unknown runtime name', () => {
    expect(() => startEmbedded({ jobModule: JOB, runtime: 'gpu' as 'memory' })).toThrow(
      /unknown runtime 'gpu'/,
    );
  });
});
