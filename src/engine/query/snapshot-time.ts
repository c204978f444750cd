import type { JobCatalog } from '../catalog';
import type { DStreamNode } from '../graph';
import type { CommittedBatches } from './committed-batches';
import { BatchNotQueryableError, NoCommittedBatchError } from './errors';

export interface SnapshotTimeRequest {
  stream: DStreamNode<unknown>;
  /** The stream's name, for messages. */
  name: string;
  at?: number;
  committed: CommittedBatches;
  catalog: JobCatalog;
  /** What the stream's lineage at a time would read that the job no longer keeps (undefined: nothing). */
  missingAt(time: number): string | undefined;
}

/**
 * The batch a snapshot reads: `at` once it is checked to be a committed, still retained time of the
 * stream, or else the stream's newest committed batch. Every refusal says what would work instead.
 */
export async function snapshotTime(request: SnapshotTimeRequest): Promise<number> {
  const { stream, name, at, committed } = request;
  const newest = newestTimeOf(stream, committed.newest.batchTime);
  if (newest === undefined) {
    throw new NoCommittedBatchError(
      `stream '${name}' has no committed batch yet: it produces a dataset every ${stream.slideMs} ms and ` +
        `the newest committed batch is ${committed.newest.batchTime}; query again after its first one`,
      { stream: name, newestCommitted: committed.newest.batchTime },
    );
  }
  if (at === undefined) {
    const missing = request.missingAt(newest);
    if (missing) throw notRetained(request, newest, missing);
    return newest;
  }
  await checkCommitted(request, at, newest);
  const missing = at < committed.oldestManifest ? 'its manifest' : request.missingAt(at);
  if (missing) throw notRetained(request, at, missing);
  return at;
}

/** The stream's newest time at or before `time`, if it has had one. */
function newestTimeOf(stream: DStreamNode<unknown>, time: number): number | undefined {
  const zero = stream.graph.zeroTime;
  const newest = time - ((time - zero) % stream.slideMs);
  return newest > zero ? newest : undefined;
}

async function checkCommitted(request: SnapshotTimeRequest, at: number, newest: number): Promise<void> {
  const { stream, name, committed } = request;
  const refuse = (why: string, context: Record<string, unknown> = {}): never => {
    throw new BatchNotQueryableError(`cannot query stream '${name}' at ${at}: ${why}`, {
      stream: name,
      at,
      newestCommitted: newest,
      ...context,
    });
  };
  const zero = committed.zeroTime;
  const batchMs = stream.graph.batchMs;
  if (!Number.isSafeInteger(at) || at <= zero || (at - zero) % batchMs !== 0) {
    refuse(
      `batch times are ${zero} + k * ${batchMs} ms (k >= 1); the stream's newest committed batch is ${newest}`,
    );
  }
  if (at > committed.newest.batchTime) {
    const manifest = (await request.catalog.readManifest(at))?.value;
    const state = manifest ? `is ${manifest.status}, not committed` : 'has not run';
    refuse(`batch ${at} ${state}; the stream's newest committed batch is ${newest}`, {
      status: manifest?.status,
    });
  }
  if (!stream.isTimeValid(at)) {
    refuse(
      `the stream produces a dataset every ${stream.slideMs} ms, at ${zero} + k * ${stream.slideMs}; ` +
        `${at} is not one of them (the newest is ${newest})`,
    );
  }
  // Older manifests are gone: such a batch is reported as no longer retained.
  if (at < committed.oldestManifest) return;
  const manifest = (await request.catalog.readManifest(at))?.value;
  if (!manifest) refuse(`batch ${at} has no manifest in the job's store`);
  else if (manifest.status !== 'committed' || manifest.zeroTime !== zero) {
    refuse(`batch ${at} is ${manifest.status} under zero time ${manifest.zeroTime}, not a committed batch`);
  }
}

function notRetained(request: SnapshotTimeRequest, at: number, missing: string): BatchNotQueryableError {
  const { name } = request;
  const range = retainedRange(request);
  const retained = range
    ? `retained batches of stream '${name}' are ${range[0]} to ${range[1]}, every ${request.stream.slideMs} ms`
    : `no batch of stream '${name}' is retained`;
  return new BatchNotQueryableError(
    `cannot query stream '${name}' at ${at}: batch ${at} is no longer retained (${missing} was cleaned by the job); ${retained}`,
    { stream: name, at, missing, retained: range },
  );
}

/** The oldest and newest times of the stream whose lineage reads only what the job still keeps. */
function retainedRange(request: SnapshotTimeRequest): [number, number] | undefined {
  const { stream, committed } = request;
  const newest = newestTimeOf(stream, committed.newest.batchTime);
  let oldest: number | undefined;
  for (let t = newest ?? 0; newest !== undefined && t > stream.graph.zeroTime; t -= stream.slideMs) {
    if (t < committed.oldestManifest || request.missingAt(t)) break;
    oldest = t;
  }
  return oldest === undefined || newest === undefined ? undefined : [oldest, newest];
}
