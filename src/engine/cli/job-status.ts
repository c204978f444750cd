/**
 * What `sluice status` shows, read from the job's store alone (memory, directory or S3 alike): who holds
 * the lease, the last batches with their delays, lag, failures, recoveries and dead letters. It reads
 * and never writes, so it is safe beside a running coordinator.
 */
import { type BatchManifest, JobCatalog } from '../catalog';
import { awsRequests, s3Requests } from '../io/metering/request-counts';
import type { Store } from '../io/ports';
import { countDeadLetters, maxLag } from '../schedule/batch-info';
import { NothingToShowError } from './errors';

export interface BatchStatusLine {
  batchTime: number;
  status: BatchManifest['status'];
  records: number;
  schedulingDelayMs: number;
  processingMs?: number;
  /** Scheduling delay plus processing: how long after its interval ended the batch was done. */
  totalDelayMs?: number;
  lagMs?: number;
  tasks: number;
  retries: number;
  speculated: number;
  recoveredPartitions: number;
  deadLetters: number;
  /** AWS requests the batch made (S3, invocations, Kinesis), and the S3 ones among them. */
  awsRequests?: number;
  s3Requests?: number;
  error?: string;
}

export interface JobStatus {
  job: string;
  batchMs: number;
  zeroTime: number;
  lease?: { owner: string; epoch: number; expiresAt: number; released: boolean; held: boolean };
  /** Newest first. */
  batches: BatchStatusLine[];
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
  const batches = manifests.filter((m) => m !== undefined).map((m) => statusLine(m.value));
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

function statusLine(manifest: BatchManifest): BatchStatusLine {
  const stages = manifest.stages ?? [];
  const tasks = stages.filter((s) => s.location === 'tasks');
  const line: BatchStatusLine = {
    batchTime: manifest.batchTime,
    status: manifest.status,
    records: manifest.inputs.reduce((sum, input) => sum + input.records, 0),
    schedulingDelayMs: manifest.timing.schedulingDelayMs,
    tasks: tasks.reduce((sum, s) => sum + s.partitions, 0),
    // Attempts beyond one per partition are retries (speculative copies are counted apart).
    retries: tasks.reduce((sum, s) => sum + Math.max(0, s.attempts - s.partitions - (s.speculated ?? 0)), 0),
    speculated: stages.reduce((sum, s) => sum + (s.speculated ?? 0), 0),
    recoveredPartitions: manifest.recovery?.lost.length ?? 0,
    deadLetters: countDeadLetters(manifest),
  };
  if (manifest.timing.processingMs !== undefined) {
    line.processingMs = manifest.timing.processingMs;
    line.totalDelayMs = manifest.timing.schedulingDelayMs + manifest.timing.processingMs;
  }
  const lag = maxLag(manifest);
  if (lag !== undefined) line.lagMs = lag;
  if (manifest.requests) {
    line.awsRequests = awsRequests(manifest.requests);
    line.s3Requests = s3Requests(manifest.requests);
  }
  if (manifest.error) line.error = manifest.error.message;
  return line;
}
