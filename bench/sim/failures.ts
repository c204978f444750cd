import type { Coordinator } from '../../src/engine/schedule';
import type { MapOutputTracker } from '../../src/engine/schedule/map-output-tracker';
import type { PartitionCache } from '../../src/engine/schedule/partition-cache';

/**
 * The failures the recovery figure injects once batch `afterBatch` has committed.
 * - `node`: the paper's failed node. Partition p lives on node p % workers; what the coordinator holds
 *   of node 0's partitions (state partitions and map outputs, never the checkpoints in the store) is
 *   lost. Nothing else of the job stops.
 * - `coordinator`: the coordinator process is lost with everything it held; a new one takes over from the
 *   store alone (the last checkpoint, the manifests and their recorded Kinesis ranges).
 */
export type Failure =
  | { kind: 'node'; afterBatch: number; workers: number }
  | { kind: 'coordinator'; afterBatch: number };

/** Lets go of what the coordinator holds of node 0's partitions; returns how many partitions that was. */
export function loseNode(coordinator: Coordinator, workers: number): number {
  const { cache, outputs } = heldDataOf(coordinator);
  const onLostNode = (partition: number) => partition % workers === 0;
  return cache.forgetHeld(onLostNode).length + outputs.forgetHeld(onLostNode);
}

/**
 * The coordinator's held data. The coordinator exposes no accessor for it, so this reads its private
 * fields (TypeScript allows that by element access); `forgetHeld` on each is the public seam that then
 * drops entries. A public read-only `Coordinator.held` would replace this function.
 */
function heldDataOf(coordinator: Coordinator): { cache: PartitionCache; outputs: MapOutputTracker } {
  // biome-ignore lint/complexity/useLiteralKeys: private fields, reached only by element access
  const data = coordinator['data'] as unknown as { cache: PartitionCache; outputs: MapOutputTracker };
  return { cache: data.cache, outputs: data.outputs };
}
