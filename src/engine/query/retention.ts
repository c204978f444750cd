import { type DStreamGraph, InputDStream } from '../graph';
import { CheckpointNode, type LineageNode, SourceNode } from '../plan';

/** How far back the job still keeps what a recomputation reads. */
export interface Retention {
  /** Checkpoints and input blocks before this time have been cleaned by the job. */
  keptFrom: number;
  /** Manifests (and so input ranges to replay) before this time are gone. */
  oldestManifest: number;
}

/** The job's retention after it committed `newest`: its cleaner keeps what batches after it may read. */
export function retentionAfter(graph: DStreamGraph, newest: number, oldestManifest: number): Retention {
  return { keptFrom: newest - graph.maxRememberMs() + graph.batchMs, oldestManifest };
}

/**
 * What the lineage of `root` would read that the job no longer keeps, or undefined when all of it can be
 * read or recomputed: a checkpoint the job cleaned, an input batch whose ranges are gone, or a block of a
 * source that cannot replay. A node checkpointed at a kept time is read, not recomputed, so the walk
 * stops there.
 */
export function missingFrom(
  root: LineageNode<unknown>,
  graph: DStreamGraph,
  retention: Retention,
): string | undefined {
  const seen = new Set<string>();
  const visit = (node: LineageNode<unknown>): string | undefined => {
    if (seen.has(node.id)) return undefined;
    seen.add(node.id);
    if (node.checkpointOf !== undefined && node.time >= retention.keptFrom) return undefined;
    if (node instanceof CheckpointNode) {
      return node.checkpointTime < retention.keptFrom
        ? `the checkpoint of stream ${node.streamId} at ${node.checkpointTime}`
        : undefined;
    }
    if (node instanceof SourceNode) return missingInput(node, graph, retention);
    for (const dep of node.dependencies) {
      const missing = visit(dep.parent);
      if (missing) return missing;
    }
    return undefined;
  };
  return visit(root);
}

function missingInput(node: SourceNode<unknown>, graph: DStreamGraph, retention: Retention) {
  if (node.batchTime < retention.oldestManifest) return `the input ranges of batch ${node.batchTime}`;
  const input = graph.streams[node.streamId];
  const source = input instanceof InputDStream ? input.source : undefined;
  const rereadable = source?.replay !== undefined || source?.direct !== undefined;
  if (!rereadable && node.batchTime < retention.keptFrom) {
    return `the input block of stream ${node.streamId} at ${node.batchTime} (its source cannot replay it)`;
  }
  return undefined;
}
