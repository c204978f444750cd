import { type BatchManifest, JOB_KEY, JobCatalog, type JobState } from '../catalog';
import type { DStreamGraph } from '../graph';
import type { Store } from '../io/ports';
import { NoCommittedBatchError, QueryJobMismatchError } from './errors';

/** What a query may read of a job, as its store records it. Read only: nothing is created or locked. */
export interface CommittedBatches {
  /** The job's recorded zero time, which every batch time counts from. */
  zeroTime: number;
  /** The newest committed batch. */
  newest: BatchManifest;
  /** The oldest batch whose manifest (its input ranges) the job still keeps. */
  oldestManifest: number;
}

/**
 * Reads the job's identity and its newest committed batch. A batch that is claimed, running or failed is
 * skipped: a query only ever sees committed batches. The job code must match the identity, or stored
 * partitions and keys would be misread.
 */
export async function readCommittedBatches(
  store: Store,
  job: string,
  graph: DStreamGraph,
): Promise<CommittedBatches> {
  const catalog = new JobCatalog(store);
  const times = await catalog.manifestTimes();
  const recorded = await catalog.readJob();
  let newest: BatchManifest | undefined;
  for (const time of [...times].reverse()) {
    const manifest = (await catalog.readManifest(time))?.value;
    if (manifest?.status !== 'committed') continue;
    if (recorded === undefined || manifest.zeroTime === recorded.zeroTime) {
      newest = manifest;
      break;
    }
  }
  if (!newest) throw await noCommittedBatch(store, job, recorded);
  // Without the identity object (lost), the committed batches still say where the clock starts.
  const state: JobState = recorded ?? { job, zeroTime: newest.zeroTime, batchMs: newest.batchMs };
  checkJobMatches(state, job, graph);
  return { zeroTime: state.zeroTime, newest, oldestManifest: times[0] };
}

async function noCommittedBatch(
  store: Store,
  job: string,
  recorded: JobState | undefined,
): Promise<NoCommittedBatchError> {
  // A store root instead of the job's own store is an easy mistake: say so.
  const underRoot = !recorded && (await store.has(`jobs/${job}/${JOB_KEY}`).catch(() => false));
  const hint = underRoot
    ? `; this store looks like a runtime's store root (it has jobs/${job}/): pass its location string, or jobStore(root, '${job}')`
    : recorded
      ? '; it has started but no batch has committed yet: wait for the first batch'
      : '; start the job first, and check that the store is the one the job runs on';
  return new NoCommittedBatchError(`job '${job}' has no committed batch in this store${hint}`, {
    job,
    started: recorded !== undefined,
  });
}

function checkJobMatches(state: JobState, job: string, graph: DStreamGraph): void {
  const mismatch = (what: string, context: Record<string, unknown>) =>
    new QueryJobMismatchError(
      `job code does not match the job in the store: ${what}; query with the job module the stream runs`,
      { job, ...context },
    );
  if (state.job !== job)
    throw mismatch(`the store holds job '${state.job}', not '${job}'`, { stored: state.job });
  if (state.batchMs !== graph.batchMs) {
    throw mismatch(`batch interval ${graph.batchMs} ms, stored ${state.batchMs} ms`, {
      stored: state.batchMs,
      configured: graph.batchMs,
    });
  }
  for (const stream of graph.streams) {
    const partitions = stream.storedPartitions;
    const stored = state.partitions?.[`${stream.id}:${stream.operator}`];
    if (partitions !== undefined && stored !== undefined && stored !== partitions) {
      throw mismatch(`${stream.describe()} has ${partitions} partitions, stored ${stored}`, {
        stream: stream.id,
        stored,
        configured: partitions,
      });
    }
  }
}
