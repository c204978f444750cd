import type { Shard } from '@aws-sdk/client-kinesis';
import type { SourceRange } from '../ports';

/**
 * Runs reads at most `limit` at a time, in the order they were asked for. Once one fails the batch is
 * lost, so reads still waiting for a slot are not started and resolve to undefined.
 */
export function readSlots(limit: number) {
  let free = limit;
  let failed = false;
  const waiting: (() => void)[] = [];
  return async <R>(read: () => Promise<R>): Promise<R | undefined> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return failed ? undefined : await read();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

/**
 * The values in order, or the first failure in order; waits for every read either way, so none runs on
 * (and moves a kept iterator) after the caller has moved on, e.g. to retry the batch.
 */
export async function settleInOrder<R>(promises: readonly Promise<R>[]): Promise<R[]> {
  const values: R[] = [];
  for (const settled of await Promise.allSettled(promises)) {
    if (settled.status === 'rejected') throw settled.reason;
    values.push(settled.value);
  }
  return values;
}

export function parentsOf(shard: Shard): string[] {
  return [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p);
}

/** Shard ids are zero-padded (shardId-000000000012); longer ids sort later in case the padding ever runs out. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Kinesis sequence numbers are decimal strings of up to 128 bits: compare them as numbers. */
export function compareSequence(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Parent and child shards as listed, with what the last committed batch read: `startedDescendant(id)`
 * tells a parent whose children (or their children) were already read, so it is never read again.
 */
export function shardFamily(shards: readonly Shard[], after: readonly SourceRange[] | undefined) {
  const children = new Map<string, string[]>();
  for (const shard of shards) {
    for (const parent of parentsOf(shard)) {
      children.set(parent, [...(children.get(parent) ?? []), shard.ShardId!]);
    }
  }
  const committed = new Map((after ?? []).map((r) => [r.shard, r]));
  const startedDescendant = memo((id: string, self: (id: string) => boolean): boolean =>
    (children.get(id) ?? []).some((child) => committed.has(child) || self(child)),
  );
  return { children, committed, startedDescendant };
}

export function memo<K, V>(compute: (key: K, self: (key: K) => V) => V): (key: K) => V {
  const cache = new Map<K, V>();
  const self = (key: K): V => {
    if (!cache.has(key)) cache.set(key, compute(key, self));
    return cache.get(key)!;
  };
  return self;
}
