import type { Store } from '../io/ports';
import { MANIFEST_PREFIX } from '../plan';
import { ScheduleError } from './errors';
import { type BatchManifest, readManifest } from './manifest';

const JOB_STATE_KEY = 'job.json';

/** What must survive every coordinator: the clock origin that all batch times count from. */
export interface JobState {
  job: string;
  zeroTime: number;
  batchMs: number;
}

/**
 * The job's persisted origin, created on first start. A later coordinator (the next scheduled Lambda,
 * a restarted process) must use the same zero time, or batch times and keys would not line up.
 */
export async function loadOrCreateJobState(store: Store, proposed: JobState): Promise<JobState> {
  const bytes = await store.get(JOB_STATE_KEY);
  if (!bytes) {
    await store.put(JOB_STATE_KEY, new TextEncoder().encode(JSON.stringify(proposed)));
    return proposed;
  }
  const state = JSON.parse(new TextDecoder().decode(bytes)) as JobState;
  if (state.batchMs !== proposed.batchMs) {
    throw new ScheduleError(
      `job '${proposed.job}' was started with a ${state.batchMs} ms batch interval and now has ${proposed.batchMs} ms; ` +
        'use a new job name (or clear its store prefix) to change the interval',
      { stored: state.batchMs, configured: proposed.batchMs },
    );
  }
  return state;
}

/** The newest committed batch of this run (same zero time), if any. */
export async function lastCommittedBatch(store: Store, zeroTime: number): Promise<BatchManifest | undefined> {
  const keys = (await store.list(MANIFEST_PREFIX)).map((e) => e.key).reverse();
  for (const key of keys) {
    const time = Number(key.slice(MANIFEST_PREFIX.length, -'.json'.length));
    const manifest = await readManifest(store, time);
    if (manifest?.status === 'committed' && manifest.zeroTime === zeroTime) return manifest;
  }
  return undefined;
}
