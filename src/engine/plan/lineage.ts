import type { DeadLetter, SourceRange } from '../io/ports';
import { currentScope, type IdScope, looseIdScope, type NodeIdentity } from './scope';

/** Where an input partition's records come from: a source range, planned or as read. */
export type InputRange = SourceRange;

/** What a task read of an input partition by planned ranges (see TaskContext.reportSourceRead). */
export interface SourceRead {
  stream: number;
  /** The input's name, for the dead-letter objects. */
  name: string;
  time: number;
  partition: number;
  /** The ranges as read, which replace the planned ones when the batch commits. */
  ranges: InputRange[];
  /** Records the source could not decode; the context stores them (one object per shard). */
  deadLetters: DeadLetter[];
}

/** Rows are pairs and partition i holds exactly the keys with `partitionOf(key, partitions) === i`. */
export interface HashPartitioning {
  readonly partitions: number;
}

export function samePartitioning(a: HashPartitioning | undefined, b: HashPartitioning | undefined): boolean {
  return a !== undefined && b !== undefined && a.partitions === b.partitions;
}

/** How a combineByKey-style aggregation builds and merges per-key combiners. */
export interface Aggregator<V, C> {
  createCombiner(value: V): C;
  mergeValue(combiner: C, value: V): C;
  mergeCombiners(a: C, b: C): C;
  /** Set on the engine's own aggregators, which never change the values they are given. */
  readonly leavesValuesIntact?: true;
}

/** Whether map tasks of `dep` hand values to user functions that may change them. */
export function runsUserCombiner(dep: ShuffleDependency): boolean {
  return dep.mapSideCombine !== undefined && !dep.mapSideCombine.leavesValuesIntact;
}

/**
 * A shuffle boundary: the parent's partitions are redistributed into `partitions` buckets, by key hash
 * (`hash`, rows are `[key, value]`) or round robin (`roundRobin`, any rows).
 */
export interface ShuffleDependency {
  readonly kind: 'shuffle';
  /** Unique per job and batch; names the shuffle files in the store. */
  readonly id: string;
  readonly keyName: string;
  readonly time: number;
  readonly parent: LineageNode<unknown>;
  readonly partitions: number;
  readonly partitionBy: 'hash' | 'roundRobin';
  /** When set, map tasks combine values per key before writing (rows become `[key, combiner]`). */
  readonly mapSideCombine?: Aggregator<unknown, unknown>;
  /** The operator that asked for the shuffle, for error messages. */
  readonly operator: string;
}

export interface NarrowDependency {
  readonly kind: 'narrow';
  readonly parent: LineageNode<unknown>;
}

export type Dependency = NarrowDependency | ShuffleDependency;

/**
 * What a node needs from the process computing it. The exec layer implements it over a Store; keeping it
 * an interface keeps lineage free of codecs and I/O.
 */
export interface TaskContext {
  readonly batchTime: number;
  /** An input block, or undefined when it is not in the store. */
  readInputBlock(streamId: number, time: number, partition: number): Promise<unknown[] | undefined>;
  writeInputBlock(streamId: number, time: number, partition: number, rows: unknown[]): Promise<void>;
  /** The source ranges the batch manifest recorded for an input (to replay a lost block). */
  readInputRanges(streamId: number, time: number): Promise<InputRange[]>;
  /** One array of rows per map task, in map-partition order. */
  readShuffle(dep: ShuffleDependency, reducePartition: number): Promise<unknown[][]>;
  /** A materialised partition (checkpoint or cache), or undefined when it is not in the store. */
  readStored(node: LineageNode<unknown>, partition: number): Promise<unknown[] | undefined>;
  /** A stream's checkpoint partition; throws when it is not in the store. */
  readCheckpoint(streamId: number, time: number, partition: number): Promise<unknown[]>;
  /** Saves a persisted partition; the save may finish later, but before the task reports success. */
  writeStored(node: LineageNode<unknown>, partition: number, rows: unknown[]): Promise<void>;
  /**
   * A partition computed elsewhere and handed to this context (driver code on the coordinator gets the
   * job-made part of its lineage computed by tasks), or undefined.
   */
  precomputed?(node: LineageNode<unknown>, partition: number): Promise<unknown[]> | undefined;
  /**
   * The records of an input partition the task may use: all of them unless some were isolated as
   * poison (records that make user code fail; see exec/record-isolation.ts). Absent means all.
   */
  inputRecords?(streamId: number, time: number, partition: number, rows: unknown[]): unknown[];
  /**
   * A task read an input partition by its planned ranges: the context stores the dead letters and hands
   * the ranges back to the coordinator (TaskResult.sourceReads), which commits them. Absent: not kept.
   */
  reportSourceRead?(read: SourceRead): void;
  /** A job-level object of the job's store (a dataset's recorded listing), or undefined when absent. */
  readJobObject?(key: string): Promise<Uint8Array | undefined>;
  /** Runs `compute` once per node partition within this task; later callers get the same promise. */
  once(node: LineageNode<unknown>, partition: number, compute: () => Promise<unknown[]>): Promise<unknown[]>;
}

/**
 * One dataset in a batch's lineage: a deterministic function from its dependencies' partitions to its
 * own. Nodes hold no data; evaluating a partition is `compute(partition, ctx)`.
 */
export abstract class LineageNode<T> {
  readonly id: string;
  readonly keyName: string;
  readonly time: number;
  readonly registered: boolean;
  /** Human-readable operator name for errors, manifests and the dashboard, e.g. `reduceByKey`. */
  readonly operator: string;
  /** When true, computed partitions are kept in the store and read back instead of recomputed. */
  persisted = false;
  /**
   * Set when this node is its stream's RDD at a checkpoint time: its partitions are saved as the
   * stream's checkpoint, which later lineage reads instead of recursing further back.
   */
  checkpointOf?: number;
  /** Rows are `[key, value]` placed by `partitionOf(key, partitions)`; co-partitioned parents need no shuffle. */
  partitioner?: HashPartitioning;

  constructor(
    operator: string,
    readonly numPartitions: number,
    scope: IdScope | undefined = currentScope(),
  ) {
    const owner = scope ?? looseIdScope();
    const identity: NodeIdentity = owner.allocate();
    this.id = identity.id;
    this.keyName = identity.keyName;
    this.time = identity.time;
    this.registered = identity.registered;
    this.operator = operator;
    owner.onCreate?.(identity, this);
  }

  abstract get dependencies(): readonly Dependency[];

  /** Computes one partition from the dependencies. Called per partition, never per record. */
  protected abstract computePartition(partition: number, ctx: TaskContext): Promise<T[]>;

  async compute(partition: number, ctx: TaskContext): Promise<T[]> {
    const given = ctx.precomputed?.(this, partition);
    if (given) return given as Promise<T[]>;
    if (this.persisted || this.checkpointOf !== undefined) {
      // Several readers in one task (a window over unsaved state) share one computation.
      return ctx.once(this, partition, async () => {
        const stored = await ctx.readStored(this, partition);
        if (stored) return stored;
        const rows = await this.computePartition(partition, ctx);
        await ctx.writeStored(this, partition, rows);
        return rows;
      }) as Promise<T[]>;
    }
    return this.computePartition(partition, ctx);
  }

  /**
   * Pushes every row of a partition to `emit`. Record-at-a-time operators override it so that chains
   * such as flatMap -> map -> map-side combine run as one loop without building an array per step.
   */
  async forEach(partition: number, ctx: TaskContext, emit: (row: T) => void): Promise<void> {
    const rows = await this.compute(partition, ctx);
    for (let i = 0; i < rows.length; i++) emit(rows[i]);
  }

  /**
   * The parent partitions `partition` reads through narrow dependencies: by default the same index of
   * every narrow parent. Nodes that place parents' partitions elsewhere (a union) override it. The
   * scheduler walks this to ship a task the data the coordinator holds for it.
   */
  narrowReads(partition: number): [LineageNode<unknown>, number][] {
    const reads: [LineageNode<unknown>, number][] = [];
    for (const dep of this.dependencies) if (dep.kind === 'narrow') reads.push([dep.parent, partition]);
    return reads;
  }

  toString(): string {
    return `${this.operator} [${this.id}]`;
  }
}

export function narrow(parent: LineageNode<unknown>): NarrowDependency {
  return { kind: 'narrow', parent };
}
