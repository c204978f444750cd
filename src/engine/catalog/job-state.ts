import { JobMismatchError } from './errors';
import type { JobCatalog, JobState } from './job-catalog';

/**
 * The job's persisted origin, created on first start. Every later coordinator (the next Lambda, a
 * restarted process, the embedded runtime over a directory) must use the same zero time, or batch times
 * and keys would not line up. If the identity object is gone but committed batches exist, it is rebuilt
 * from them: a new zero time would re-read the stream from its start and restart state from nothing.
 */
export async function loadOrCreateJobState(catalog: JobCatalog, proposed: JobState): Promise<JobState> {
  let state = await catalog.readJob();
  if (!state) {
    const last = await catalog.lastCommitted();
    const origin = last ? { zeroTime: last.zeroTime, batchMs: last.batchMs } : {};
    state = await catalog.createJob({ ...proposed, ...origin });
  }
  if (state.batchMs !== proposed.batchMs) {
    throw new JobMismatchError(
      `job '${proposed.job}' was started with a ${state.batchMs} ms batch interval and now has ${proposed.batchMs} ms; ` +
        'use a new job name (or clear its store prefix) to change the interval',
      { stored: state.batchMs, configured: proposed.batchMs },
    );
  }
  if (proposed.partitions) {
    if (!state.partitions) {
      state = { ...state, partitions: proposed.partitions };
      await catalog.updateJob(state);
    }
    checkPartitions(proposed.job, state.partitions!, proposed.partitions);
  }
  return state;
}

/** State, windows and shuffle files are laid out by partition: a different count would misread them. */
function checkPartitions(job: string, stored: Record<string, number>, now: Record<string, number>): void {
  const changed = Object.keys(now).filter(
    (stream) => stored[stream] !== undefined && stored[stream] !== now[stream],
  );
  if (changed.length === 0) return;
  const detail = changed.map((s) => `${s}: ${stored[s]} -> ${now[s]}`).join(', ');
  throw new JobMismatchError(
    `job '${job}' changed partition counts (${detail}); its state and windows are stored by partition, so it ` +
      'cannot resume with new counts: keep the old counts, or start it under a new job name (or clear its ' +
      'store prefix) to begin again from the stream',
    { job, changed: Object.fromEntries(changed.map((s) => [s, { stored: stored[s], configured: now[s] }])) },
  );
}
