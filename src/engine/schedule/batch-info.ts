import type { BatchManifest } from '../catalog';
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
}

export function countDeadLetters(manifest: BatchManifest): number {
  const decoded = manifest.inputs.reduce((sum, i) => sum + (i.deadLetters ?? 0), 0);
  const poisoned = manifest.stages.reduce(
    (sum, s) => sum + ((s as { deadLettered?: number }).deadLettered ?? 0),
    0,
  );
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
