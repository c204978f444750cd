/**
 * The video example's ad-hoc query: the worst sessions of a CDN, asked of the committed state of the
 * running job (the stream named 'sessions'), equal to a plain computation over the same heartbeats.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CDNS } from '../../examples/video/heartbeats';
import job from '../../examples/video/job';
import query, { worstSessions } from '../../examples/video/queries/worst-sessions';
import { contextFor, FsStore, ManualClock, MemoryStore, type Store, snapshot } from '../../src/engine';
import { jobStoreIn } from '../../src/engine/catalog';
import { expectedSummaries, RATE } from './video-reference';

const BATCHES = 40;
const batchTimes = Array.from({ length: BATCHES }, (_, i) => (i + 1) * 1000);

/** Runs the example's job (generator input at the reference rate) for BATCHES batches on `store`. */
async function runJob(store: Store): Promise<void> {
  process.env.SLUICE_EXAMPLE_RATE = String(RATE);
  const ssc = contextFor(job, () => undefined);
  ssc.start({
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: BATCHES,
    workers: 2,
    retry: { backoffMs: 0 },
  });
  await ssc.awaitTermination();
}

/** The worst sessions of `cdn` at `time`, from the reference's plain session tracking. */
function expectedWorst(time: number, cdn: string, limit: number) {
  const open = expectedSummaries(batchTimes).liveAt.get(time)!;
  return [...open]
    .filter(([, s]) => s.cdn === cdn)
    .map(([session, s]) => ({
      session,
      city: s.city,
      bufferingRatio: s.bufferingMs / s.watchedMs,
      bufferingMs: s.bufferingMs,
      watchedMs: s.watchedMs,
      avgBitrateKbps: s.bitrateKbpsSum / s.heartbeats,
      errors: s.errors,
    }))
    .sort(
      (a, b) =>
        b.bufferingRatio - a.bufferingRatio ||
        b.bufferingMs - a.bufferingMs ||
        (a.session < b.session ? -1 : 1),
    )
    .slice(0, limit);
}

describe('video worst-sessions query', () => {
  const store = new MemoryStore();
  beforeAll(() => runJob(store), 120_000);
  afterAll(() => {
    delete process.env.SLUICE_EXAMPLE_RATE;
  });

  it('finds the worst sessions of each CDN in the newest committed state', async () => {
    const sessions = await snapshot(job, 'sessions', { store });
    for (const cdn of CDNS) {
      expect(await worstSessions(sessions as never, { cdn, limit: 5 })).toEqual(
        expectedWorst(BATCHES * 1000, cdn, 5),
      );
    }
  });

  it('answers for an older committed batch, during the degradation', async () => {
    const sessions = await snapshot(job, 'sessions', { store, at: 28_000 });
    const worst = await query(sessions as never);
    expect(worst).toEqual(expectedWorst(28_000, 'fastly', 10));
    // While fastly is degraded its sessions buffer for much of every interval.
    expect(worst[0].bufferingRatio).toBeGreaterThan(0.2);
  });
});

describe('npm run query over the video job', () => {
  it('prints the worst sessions of a CDN from a job run on a directory store', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'sluice-video-query-'));
    try {
      await runJob(jobStoreIn(new FsStore({ root: directory }), job.name));
      const root = resolve(__dirname, '../..');
      const { stdout } = await promisify(execFile)(
        'npm',
        [
          'run',
          'query',
          '--silent',
          '--',
          'examples/video/job.ts',
          'sessions',
          '--store',
          directory,
          '--json',
          '--run',
          'examples/video/queries/worst-sessions.ts',
        ],
        {
          cwd: root,
          timeout: 90_000,
          env: { ...process.env, SLUICE_EXAMPLE_RATE: String(RATE), VIDEO_CDN: 'akamai' },
        },
      );
      expect(JSON.parse(stdout)).toEqual(expectedWorst(BATCHES * 1000, 'akamai', 10));
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 120_000);
});
