import type { LineageNode, ShuffleDependency } from './lineage';

/**
 * Where everything lives in the store, relative to the job's prefix. Keys are pure functions of
 * lineage identities, so a re-run or speculative task writes the same bytes to the same key.
 * Batch times are zero-padded so that listing a prefix returns them in time order.
 */
export function padTime(time: number): string {
  return String(time).padStart(15, '0');
}

export function batchPrefix(time: number): string {
  return `batches/${padTime(time)}/`;
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

export function checkpointKey(streamId: number, time: number, partition: number): string {
  return `${batchPrefix(time)}checkpoint/s${streamId}/${partition}`;
}

export const MANIFEST_PREFIX = 'manifests/';

export function manifestKey(time: number): string {
  return `${MANIFEST_PREFIX}${padTime(time)}.json`;
}

/** A record the source could not decode, kept with its shard and position for inspection or replay. */
export function deadLetterKey(streamId: number, time: number, shard: string, position: string): string {
  return `deadletters/${padTime(time)}/s${streamId}/${shard}/${position}.json`;
}
