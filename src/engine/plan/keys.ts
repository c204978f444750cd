import { padTime, TRANSIENT_PREFIX } from '../catalog/layout';
import type { LineageNode, ShuffleDependency } from './lineage';

export { padTime, TRANSIENT_PREFIX };

/**
 * Where batch data lives in the job's store. Keys are pure functions of lineage identities, so a re-run
 * or speculative task writes the same bytes to the same key. Batch times are zero-padded so that listing
 * a prefix returns them in time order. Everything under `batches/` is transient (recomputable from
 * lineage); checkpoints are durable, since a job resumes from them. Metadata keys: catalog/layout.ts.
 */
export function batchPrefix(time: number): string {
  return `${TRANSIENT_PREFIX}${padTime(time)}/`;
}

/** The batch time in a key like `batches/<time>/...` or `checkpoints/<time>/...`. */
export function timeOfKey(key: string): number {
  return Number(key.split('/')[1]);
}

export function inputBlockKey(streamId: number, time: number, partition: number): string {
  return `${batchPrefix(time)}input/s${streamId}/${partition}`;
}

export function shuffleFileKey(dep: ShuffleDependency, mapPartition: number): string {
  return `${batchPrefix(dep.time)}shuffle/${dep.keyName}/${mapPartition}`;
}

/** A partition's rows for the coordinator; `limit` for take(), which wants only the first rows. */
export function resultPartKey(node: LineageNode<unknown>, partition: number, limit?: number): string {
  const suffix = limit === undefined ? '' : `.first${limit}`;
  return `${batchPrefix(node.time)}result/${node.keyName}/${partition}${suffix}`;
}

/** Where a persisted partition lives: the stream's checkpoint at checkpoint times, else the cache. */
export function storedPartKey(node: LineageNode<unknown>, partition: number): string {
  if (node.checkpointOf !== undefined) return checkpointKey(node.checkpointOf, node.time, partition);
  return `${batchPrefix(node.time)}stored/${node.keyName}/${partition}`;
}

export const CHECKPOINT_PREFIX = 'checkpoints/';

export function checkpointPrefix(time: number): string {
  return `${CHECKPOINT_PREFIX}${padTime(time)}/`;
}

export function checkpointKey(streamId: number, time: number, partition: number): string {
  return `${checkpointPrefix(time)}s${streamId}/${partition}`;
}
