import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FsStore, ManualClock, readManifest, type Store } from '../../src/engine';
import { JobCatalog } from '../../src/engine/catalog';
import { type EmbeddedRuntime, startEmbedded } from '../../src/engine/runtime';
import { jobStore } from '../../src/engine/runtime/config';
import { LINES, sink } from './fixtures/running-count-job';

const JOB = resolve(__dirname, 'fixtures/running-count-job.ts');

async function run(runtime: EmbeddedRuntime, root: Store, clockStart: number, batches: number) {
  const seen: number[] = [];
  const job = startEmbedded({
    jobModule: JOB,
    runtime,
    workers: 2,
    store: root,
    clock: new ManualClock(clockStart, { autoAdvance: true }),
    batches,
    onBatch: (info) => seen.push(info.batchTime),
  });
  await job.done;
  return seen;
}

async function outputs(root: Store): Promise<Map<number, [string, number][]>> {
  const store = jobStore(root, 'running-count');
  const out = new Map<number, [string, number][]>();
  for (const time of await sink.committedBatches(store)) {
    out.set(time, ((await sink.readBatch(store, time)) ?? []).sort());
  }
  return out;
}

describe('embedded runtime over a directory store', () => {
  let dirs: string[] = [];
  const dir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'sluice-resume-'));
    dirs.push(d);
    return d;
  };

  afterEach(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    dirs = [];
  });

  it.each<EmbeddedRuntime>(['memory', 'threads'])(
    'continues a stopped stateful job after its last committed batch, with its zero time and state (%s)',
    async (runtime) => {
      const half = LINES.length / 2;
      const single = new FsStore({ root: await dir() });
      await run(runtime, single, 0, LINES.length);

      const restarted = new FsStore({ root: await dir() });
      expect(await run(runtime, restarted, 0, half)).toEqual([1000, 2000, 3000]);
      // The second process starts much later: its clock proposes another zero time, the stored one wins.
      const second = await run(runtime, new FsStore({ root: restarted.root }), 60_500, half);
      expect(second).toEqual([4000, 5000, 6000]);

      const identity = await new JobCatalog(jobStore(restarted, 'running-count')).readJob();
      expect(identity?.zeroTime).toBe(0);
      expect([...(await outputs(restarted)).keys()]).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
      expect(await outputs(restarted)).toEqual(await outputs(single));
      expect((await outputs(restarted)).get(6000)).toEqual([
        ['a', 4],
        ['b', 2],
        ['c', 3],
        ['d', 2],
        ['e', 3],
      ]);
      const manifest = await readManifest(jobStore(restarted, 'running-count'), 4000);
      expect(manifest?.status).toBe('committed');
      expect(manifest?.zeroTime).toBe(0);
    },
  );
});
