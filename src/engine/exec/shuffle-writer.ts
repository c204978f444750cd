import {
  type LineageNode,
  RecordNode,
  runsUserCombiner,
  type ShuffleDependency,
  type TaskContext,
  UserFunctionError,
} from '../plan';
import { keyIdentity, partitionOf } from '../util/hash';
import { ExecError, ShuffleValueError } from './errors';

/**
 * Computes one map partition of `dep` and splits its rows into reduce buckets, combining values per key
 * when the dependency asks for it. Rows are consumed as they are produced, never gathered first.
 */
export async function bucketPartition(
  dep: ShuffleDependency,
  mapPartition: number,
  ctx: TaskContext,
): Promise<{ buckets: unknown[][]; rows: number }> {
  const { buckets, rows } = await bucketPartitionForEach([dep], mapPartition, ctx);
  return { buckets: buckets[0], rows };
}

/**
 * Computes one map partition of a parent shared by several shuffles once, and buckets its rows for each
 * of them: a node feeding two shuffles (say, running state and a window) is not computed twice, and
 * shuffles that combine by key look each key up once between them.
 */
export async function bucketPartitionForEach(
  deps: readonly ShuffleDependency[],
  mapPartition: number,
  ctx: TaskContext,
): Promise<{ buckets: unknown[][][]; rows: number }> {
  const parent = deps[0].parent;
  const keys = new KeyIndex();
  const writers = deps.map((dep) => bucketWriter(dep, mapPartition, keys));
  const combining = writers.filter((w) => w.combines).length;
  let rows = 0;
  if (writers.length === 1 && writers[0].combines && takesPairsApart(parent, mapPartition, ctx)) {
    // map(-> [k, v]) fused into the combiner: the pair's parts come apart, no row array is read.
    const only = writers[0];
    await parent.forEachPair(mapPartition, ctx, (key, value) => {
      rows++;
      only.combine(value, keys.slotOf(key));
    });
  } else if (writers.length === 1) {
    const only = writers[0];
    await parent.forEach(mapPartition, ctx, (row) => {
      rows++;
      only.add(row, only.combines ? keys.slotOf((row as [unknown, unknown])[0]) : -1);
    });
  } else {
    // A user combiner may keep a value and change it later (a reducer appending to an argument), so it
    // must not share value objects with the other writers, which keep rows until they encode them. The
    // planner fuses at most one such shuffle per group: it gets the rows as computed (with their
    // prototypes), and every other writer a copy taken before the user code sees the row. Copies only
    // feed encoding, which keeps plain data anyway.
    const owner = deps.findIndex(runsUserCombiner);
    const copies = writers.map((_, i) => owner >= 0 && i !== owner);
    const ownerLast = [...writers.keys()].filter((i) => i !== owner).concat(owner >= 0 ? [owner] : []);
    await parent.forEach(mapPartition, ctx, (row) => {
      rows++;
      const slot = combining > 0 ? keys.slotOf((row as [unknown, unknown])[0]) : -1;
      for (const i of ownerLast) writers[i].add(copies[i] ? ownCopy(row, deps[i]) : row, slot);
    });
  }
  return { buckets: writers.map((w) => w.finish()), rows };
}

/** Same bucketing over rows already in memory (tests, driver-side code). */
export function bucketRows(dep: ShuffleDependency, rows: unknown[], mapPartition: number): unknown[][] {
  const keys = new KeyIndex();
  const writer = bucketWriter(dep, mapPartition, keys);
  for (let i = 0; i < rows.length; i++) {
    writer.add(rows[i], writer.combines ? keys.slotOf((rows[i] as [unknown, unknown])[0]) : -1);
  }
  return writer.finish();
}

/**
 * Numbers the distinct keys of a map partition in order of first arrival. Combining writers keep their
 * combiners in arrays by that number, so one Map lookup per row serves all of them.
 */
class KeyIndex {
  private readonly slots = new Map<unknown, number>();
  readonly keys: unknown[] = [];

  slotOf(key: unknown): number {
    // A string stands for itself unless it starts with NUL (see keyIdentity): no call for the common case.
    const id = typeof key === 'string' && key.charCodeAt(0) !== 0 ? key : keyIdentity(key);
    const slot = this.slots.get(id);
    if (slot !== undefined) return slot;
    this.slots.set(id, this.keys.length);
    this.keys.push(key);
    return this.keys.length - 1;
  }
}

function takesPairsApart(
  parent: LineageNode<unknown>,
  partition: number,
  ctx: TaskContext,
): parent is RecordNode<unknown, unknown> {
  return parent instanceof RecordNode && parent.emitsPairs(partition, ctx);
}

interface BucketWriter {
  /** True when it combines values per key, and so needs the row's key slot. */
  readonly combines: boolean;
  add(row: unknown, slot: number): void;
  /** Combines a value into the combiner of the key in `slot` (combining writers only). */
  combine(value: unknown, slot: number): void;
  finish(): unknown[][];
}

function bucketWriter(dep: ShuffleDependency, mapPartition: number, keys: KeyIndex): BucketWriter {
  const partitions = dep.partitions;
  const buckets: unknown[][] = Array.from({ length: partitions }, () => []);
  if (dep.partitionBy === 'roundRobin') {
    let rows = 0;
    // Start where the partition index says, so that small partitions do not all pile into bucket 0.
    return {
      combines: false,
      add: (row) => {
        buckets[(mapPartition + rows++) % partitions].push(row);
      },
      combine: notCombining,
      finish: () => buckets,
    };
  }
  const aggregator = dep.mapSideCombine;
  if (!aggregator) {
    return {
      combines: false,
      add: (row) => {
        buckets[partitionOf((row as [unknown, unknown])[0], partitions)].push(row);
      },
      combine: notCombining,
      finish: () => buckets,
    };
  }
  // Combiners by key slot; every row reaches every writer, so a new slot is always the next index.
  const combiners: unknown[] = [];
  const combine = (value: unknown, slot: number) => {
    // Caught here, not by the record chain upstream, which would charge the error to its own operator.
    try {
      if (slot === combiners.length) combiners.push(aggregator.createCombiner(value));
      else combiners[slot] = aggregator.mergeValue(combiners[slot], value);
    } catch (error) {
      throw new UserFunctionError(dep.operator, dep.id, mapPartition, error, keys.keys[slot]);
    }
  };
  return {
    combines: true,
    add: (row, slot) => combine((row as [unknown, unknown])[1], slot),
    combine,
    finish: () => {
      for (let slot = 0; slot < combiners.length; slot++) {
        const key = keys.keys[slot];
        buckets[partitionOf(key, partitions)].push([key, combiners[slot]]);
      }
      return buckets;
    },
  };
}

function notCombining(): never {
  throw new ExecError('combine() called on a shuffle writer that does not combine', {});
}

function ownCopy(row: unknown, dep: ShuffleDependency): unknown {
  const value = (row as [unknown, unknown])[1];
  if (typeof value !== 'object' || value === null) return row;
  try {
    return [(row as [unknown, unknown])[0], structuredClone(value)];
  } catch (cause) {
    throw new ShuffleValueError(
      `${dep.operator}: a shuffled value cannot be copied (${cause instanceof Error ? cause.message : cause}); ` +
        'values that go through a shuffle must be plain data (no functions or symbols)',
      { operator: dep.operator, shuffle: dep.id },
      { cause },
    );
  }
}
