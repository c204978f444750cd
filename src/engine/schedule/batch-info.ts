import type { BatchManifest, StageManifest } from '../catalog';
import type { DStreamGraph } from '../graph';
import { noRequests, type RequestCounts } from '../io/metering';
import type { LineageNode } from '../plan';

/** What a finished batch looked like, for humans and monitors. */
export interface BatchInfo {
  batchTime: number;
  records: number;
  schedulingDelayMs: number;
  processingMs: number;
  stages: number;
  tasks: number;
  /** Records set aside as dead letters in this batch (undecodable, or failing user code). */
  deadLetters: number;
  /** How far the slowest shard read was behind the tip of its stream (Kinesis MillisBehindLatest). */
  lagMs?: number;
  /** Source positions skipped because they expired before they were read (only when asked to skip). */
  gaps?: number;
  /** The AWS requests the batch made, by kind, as in its manifest (`BatchManifest.requests`). */
  requests: RequestCounts;
}

export function countDeadLetters(manifest: BatchManifest): number {
  const decoded = manifest.inputs.reduce((sum, i) => sum + (i.deadLetters ?? 0), 0);
  // A recovery stage recomputes an earlier batch's partitions: its poison records were counted then.
  const poisoned =
    manifest.poisonedRecords ??
    manifest.stages.reduce((sum, s) => sum + (s.recovery ? 0 : (s.deadLettered ?? 0)), 0);
  return decoded + poisoned;
}

export function describeLineage(roots: LineageNode<unknown>[]) {
  const seen = new Map<string, { id: string; operator: string; partitions: number }>();
  const visit = (node: LineageNode<unknown>) => {
    if (seen.has(node.id)) return;
    seen.set(node.id, { id: node.id, operator: node.operator, partitions: node.numPartitions });
    for (const dep of node.dependencies) visit(dep.parent);
  };
  roots.forEach(visit);
  return [...seen.values()];
}

/** The largest per-shard lag the sources reported, if any did. */
export function maxLag(manifest: BatchManifest): number | undefined {
  const lags = manifest.inputs.flatMap((i) => i.ranges.map((r) => r.millisBehindLatest));
  const known = lags.filter((l): l is number => l !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

export function countGaps(manifest: BatchManifest): number {
  return manifest.inputs.reduce((sum, i) => sum + i.ranges.filter((r) => r.gap !== undefined).length, 0);
}

/** A batch's manifest as it starts: running, nothing recorded yet. */
export function newManifest(
  job: string,
  graph: DStreamGraph,
  time: number,
  startedAt: number,
): BatchManifest {
  return {
    version: 1,
    job,
    batchTime: time,
    zeroTime: graph.zeroTime,
    batchMs: graph.batchMs,
    status: 'running',
    inputs: [],
    outputs: [],
    rdds: [],
    stages: [],
    timing: { scheduledAt: time, startedAt, schedulingDelayMs: Math.max(0, startedAt - time) },
  };
}

/** What recomputing lost data of earlier batches cost this batch, if anything was lost. */
export function recoveryOf(lost: string[], stages: StageManifest[]): BatchManifest['recovery'] {
  if (lost.length === 0) return undefined;
  const recoveryStages = stages.filter((s) => s.recovery);
  return {
    lost,
    recoveryStages: recoveryStages.length,
    recoveryMs: recoveryStages.reduce((max, s) => Math.max(max, s.durationMs), 0),
  };
}

/** The committed batch, for listeners. */
export function batchInfoOf(manifest: BatchManifest, stages: StageManifest[]): BatchInfo {
  const info: BatchInfo = {
    batchTime: manifest.batchTime,
    records: manifest.inputs.reduce((sum, i) => sum + i.records, 0),
    schedulingDelayMs: manifest.timing.schedulingDelayMs,
    processingMs: manifest.timing.processingMs ?? 0,
    stages: stages.length,
    tasks: stages.reduce((sum, s) => sum + s.partitions, 0),
    deadLetters: countDeadLetters(manifest),
    requests: manifest.requests ?? noRequests(),
  };
  const lagMs = maxLag(manifest);
  if (lagMs !== undefined) info.lagMs = lagMs;
  const gaps = countGaps(manifest);
  if (gaps > 0) info.gaps = gaps;
  return info;
}
