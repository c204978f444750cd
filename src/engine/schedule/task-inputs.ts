import type { TaskInputs } from '../exec';
import type { Store } from '../io/ports';
import {
  CheckpointNode,
  checkpointKey,
  type InputRange,
  type LineageNode,
  type ShuffleDependency,
  SourceNode,
  storedPartKey,
  timeOfKey,
} from '../plan';
import type { MapOutputTracker } from './map-output-tracker';
import type { PartitionCache } from './partition-cache';

/** What the coordinator holds that tasks may need. */
export interface HeldData {
  cache: PartitionCache;
  outputs: MapOutputTracker;
  /** This batch's input ranges, by `<stream>@<time>`. */
  ranges: ReadonlyMap<string, InputRange[]>;
  store: Store;
  /** Notes that transient data of batch `time` went to the store (the cleaner lists only those). */
  noteTransientWrite(time: number): void;
}

/** A shipped piece of data and how to take it out of a request that would be too big. */
interface Shipped {
  size: number;
  /** Writes it to the store (if only held here) and names it instead of carrying it. */
  leaveOut(): Promise<void>;
}

/**
 * The data a task computing `roots` reads that the coordinator holds: held persisted partitions,
 * checkpoints, this reducer's segment of held map outputs, offsets of stored ones, and input ranges.
 * The walk follows narrow dependencies partition by partition and stops where data is held. Requests
 * stay under `maxBytes` (Lambda's payload limit): the largest pieces are saved to the store and named.
 */
export async function inputsFor(
  roots: readonly [LineageNode<unknown>, number][],
  held: HeldData,
  maxBytes: number,
): Promise<TaskInputs | undefined> {
  const inputs: Required<TaskInputs> = { stored: {}, segments: {}, offsets: {}, ranges: {} };
  const shipped: Shipped[] = [];
  const seen = new Set<string>();
  const visit = (node: LineageNode<unknown>, partition: number): void => {
    const id = `${node.id}/${partition}`;
    if (seen.has(id)) return;
    seen.add(id);
    if (node instanceof CheckpointNode) {
      shipStored(checkpointKey(node.streamId, node.checkpointTime, partition), held, inputs, shipped);
      return;
    }
    if (node instanceof SourceNode) {
      const key = `${node.streamId}@${node.batchTime}`;
      const ranges = held.ranges.get(key);
      if (ranges) inputs.ranges[key] = ranges;
      return;
    }
    if (
      (node.persisted || node.checkpointOf !== undefined) &&
      shipStored(storedPartKey(node, partition), held, inputs, shipped)
    ) {
      return;
    }
    for (const dep of node.dependencies)
      if (dep.kind === 'shuffle') shipSegments(dep, partition, held, inputs, shipped);
    for (const [parent, index] of node.narrowReads(partition)) visit(parent, index);
  };
  for (const [node, partition] of roots) visit(node, partition);
  await fitUnder(shipped, maxBytes);
  const present = Object.entries(inputs).filter(([, v]) => Object.keys(v).length > 0);
  return present.length > 0 ? (Object.fromEntries(present) as TaskInputs) : undefined;
}

/** Ships a held partition (or names it when only the store has it); false when it is not held. */
function shipStored(key: string, held: HeldData, inputs: Required<TaskInputs>, shipped: Shipped[]): boolean {
  const bytes = held.cache.lookup(key);
  if (bytes === undefined) return false;
  inputs.stored[key] = bytes;
  if (bytes) {
    shipped.push({
      size: bytes.length,
      leaveOut: async () => {
        await held.cache.spill(key);
        held.noteTransientWrite(timeOfKey(key));
        inputs.stored[key] = null;
      },
    });
  }
  return true;
}

function shipSegments(
  dep: ShuffleDependency,
  partition: number,
  held: HeldData,
  inputs: Required<TaskInputs>,
  shipped: Shipped[],
): void {
  const segments = held.outputs.segmentsFor(dep.id, partition);
  if (segments) {
    inputs.segments[dep.id] = segments;
    segments.forEach((segment, m) => {
      if (!segment) return;
      shipped.push({
        size: segment.length,
        leaveOut: async () => {
          await held.outputs.spill(dep, m, held.store);
          held.noteTransientWrite(dep.time);
          inputs.segments[dep.id][m] = null;
          const offsets = held.outputs.offsetsOf(dep.id);
          if (offsets) inputs.offsets[dep.id] = offsets;
        },
      });
    });
  }
  const offsets = held.outputs.offsetsOf(dep.id);
  if (offsets && segments?.some((s) => s === null) !== false) inputs.offsets[dep.id] = offsets;
}

/** Largest first, pieces are left out until the request fits. */
async function fitUnder(shipped: Shipped[], maxBytes: number): Promise<void> {
  let total = shipped.reduce((sum, s) => sum + s.size, 0);
  if (total <= maxBytes) return;
  for (const piece of [...shipped].sort((a, b) => b.size - a.size)) {
    await piece.leaveOut();
    total -= piece.size;
    if (total <= maxBytes) return;
  }
}
