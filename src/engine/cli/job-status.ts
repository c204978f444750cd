/**
 * What `sluice status` shows, read from the job's store alone (memory, directory or S3 alike): who holds
 * the lease, the last batches with their delays, lag, failures, recoveries and dead letters. It reads
 * and never writes, so it is safe beside a running coordinator.
 */
import { JobCatalog } from '../catalog';
import type { Store } from '../io/ports';
import { type BatchSummary, summarize } from '../schedule/batch-summary';
import { NothingToShowError } from './errors';

export interface JobStatus {
  job: string;
  batchMs: number;
  zeroTime: number;
  lease?: { owner: string; epoch: number; expiresAt: number; released: boolean; held: boolean };
  /** Newest first. */
  batches: BatchSummary[];
  committed: number;
  failed: number;
}

export async function readJobStatus(
  jobStore: Store,
  job: string,
  options: { last?: number; now?: number } = {},
): Promise<JobStatus> {
  const catalog = new JobCatalog(jobStore);
  const state = await catalog.readJob();
  if (!state) {
    throw new NothingToShowError(`job '${job}' has no record in this store: it never ran here`, {
      hint: 'check the job name and --store (it must be the store the job runs with)',
      context: { job },
    });
  }
  const times = (await catalog.manifestTimes()).sort((a, b) => b - a);
  const wanted = times.slice(0, options.last ?? 20);
  const manifests = await Promise.all(wanted.map((time) => catalog.readManifest(time)));
  const batches = manifests.filter((m) => m !== undefined).map((m) => summarize(m.value));
  const lease = await catalog.readLease();
  const now = options.now ?? Date.now();
  return {
    job,
    batchMs: state.batchMs,
    zeroTime: state.zeroTime,
    lease: lease && {
      owner: lease.value.owner,
      epoch: lease.value.epoch,
      expiresAt: lease.value.expiresAt,
      released: lease.value.released === true,
      held: lease.value.released !== true && lease.value.expiresAt > now,
    },
    batches,
    committed: batches.filter((b) => b.status === 'committed').length,
    failed: batches.filter((b) => b.status === 'failed').length,
  };
}
