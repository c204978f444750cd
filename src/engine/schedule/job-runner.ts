import { decodeRows, type SourceReadReport, type TaskResult, type TaskSpec } from '../exec';
import type { RecordErrorPolicy } from '../graph/record-errors';
import { SystemClock } from '../io/clock';
import type { Clock, Invoker, Store } from '../io/ports';
import { type InputRange, type LineageNode, resultPartKey } from '../plan';
import { remembered } from '../util/remembered';
import { DataAvailability } from './data-availability';
import { TaskFailedError } from './errors';
import type { ListenerBus } from './listener-bus';
import type { StageManifest } from './manifest';
import type { MapOutputTracker } from './map-output-tracker';
import type { PartitionCache } from './partition-cache';
import type { SpeculationPolicy } from './speculation';
import { type FinalAction, type Placement, StageRunner } from './stage-runner';
import { jobLineageUnder, type Stage } from './stages';
import type { HeldData } from './task-inputs';
import { type ExchangePolicy, type RetryPolicy, TaskLauncher } from './task-launcher';

export type { FinalAction, Placement } from './stage-runner';
export { DEFAULT_EXCHANGE, DEFAULT_RETRY, type ExchangePolicy, type RetryPolicy } from './task-launcher';

export interface BatchJobSettings {
  job: string;
  zeroTime: number;
  batchTime: number;
  store: Store;
  invoker: Invoker<TaskSpec, TaskResult>;
  retry: RetryPolicy;
  speculation: SpeculationPolicy;
  exchange: ExchangePolicy;
  recordErrors: RecordErrorPolicy;
  sleep(ms: number): Promise<void>;
  /** The coordinator's clock: speculation and stage durations (default: wall-clock time). */
  clock?: Clock;
  /** Persisted partitions and map outputs the coordinator holds across batches. */
  cache: PartitionCache;
  outputs: MapOutputTracker;
  /** This batch's input ranges by `<stream>@<time>`, shipped to the tasks that read them. */
  inputRanges?: ReadonlyMap<string, InputRange[]>;
  placement?: Placement;
  /** Notes that transient data of batch `time` went to the store (so the cleaner lists it). */
  noteTransientWrite(time: number): void;
  /** Where stage completions, task failures and speculative copies are posted. */
  bus?: ListenerBus;
}

/**
 * Runs the driver actions of one batch: outputs, `collect`, `take`, and the job-made lineage under
 * driver code (foreachBatch). Stages made by job code run as tasks; stages made by driver code run right
 * here, since no task process could rebuild them.
 */
export class BatchJobRunner {
  private readonly stagesRunner: StageRunner;
  private readonly availability: DataAvailability;
  private readonly store: Store;
  private readonly batchTime: number;
  private readonly cache: PartitionCache;
  /** Runs bringing a node's partitions to the coordinator, shared by concurrent actions on it. */
  private readonly collecting = new Map<string, Promise<Uint8Array[]>>();
  /** Job-made nodes computed (or saved) by tasks for driver code, kept for the rest of the batch. */
  private readonly forDriver = new Map<string, Promise<Uint8Array[]>>();
  private readonly savedForDriver = new Map<string, Promise<unknown>>();
  private readonly taking = new Map<string, Promise<unknown[]>>();

  constructor(settings: BatchJobSettings) {
    this.store = settings.store;
    this.batchTime = settings.batchTime;
    this.cache = settings.cache;
    const held: HeldData = {
      cache: settings.cache,
      outputs: settings.outputs,
      ranges: settings.inputRanges ?? new Map(),
      store: settings.store,
      noteTransientWrite: settings.noteTransientWrite,
    };
    this.availability = new DataAvailability(
      settings.batchTime,
      settings.store,
      settings.cache,
      settings.outputs,
    );
    const launcher = new TaskLauncher(settings, settings.invoker, held);
    this.stagesRunner = new StageRunner(
      settings.batchTime,
      settings.clock ?? new SystemClock(),
      launcher,
      held,
      this.availability,
      settings.placement ?? 'tasks',
      (stage, also) => this.computeJobLineageOf(stage, also),
      settings.bus,
    );
  }

  get stages(): StageManifest[] {
    return this.stagesRunner.stages;
  }

  /** Distinct input records of this batch left out as poison. */
  get poisonedRecords(): number {
    return this.stagesRunner.poisonedInputs.size;
  }

  /** What tasks read of input partitions by planned source ranges, committed with the batch. */
  get sourceReads(): SourceReadReport[] {
    return this.stagesRunner.sourceReads;
  }

  /** Data of earlier batches found missing while planning this one: recomputed from lineage. */
  get lost(): string[] {
    return this.availability.lost;
  }

  /** Whether `key` (a checkpoint partition) is in the store under its own key. */
  isSaved(key: string): boolean {
    return this.cache.isStored(key);
  }

  /** A persisted partition's bytes as held here, null when only the store has it, undefined if unknown. */
  heldPartition(key: string): Uint8Array | null | undefined {
    return this.cache.lookup(key);
  }

  /** Saves a held partition to the store under its own key. */
  save(key: string): Promise<void> {
    return this.cache.spill(key);
  }

  /** Computes every partition of `node` and returns the rows in partition order. */
  async collect<T>(node: LineageNode<T>): Promise<T[]> {
    const parts = await this.encodedPartitionsOf(node as LineageNode<unknown>);
    // Decoded per caller: concurrent actions on one RDD share a run, not row objects.
    return parts.flatMap((bytes, p) => decodeRows(bytes, `${node.id} partition ${p}`)) as T[];
  }

  /** Plans the stages of every output up front, so that shuffles over one parent share one map pass. */
  planAhead(nodes: readonly LineageNode<unknown>[]): Promise<void> {
    return this.stagesRunner.planAhead(nodes);
  }

  /** Runs the final stage of `node` (all its partitions, or just `partitions`) after what it needs. */
  async runFinal(node: LineageNode<unknown>, action: FinalAction, partitions?: number[]): Promise<void> {
    await this.stagesRunner.runFinal(node, action, partitions);
  }

  /** Every partition of `node` as tasks (or, for driver-made lineage, this process) encoded it. */
  private encodedPartitionsOf(node: LineageNode<unknown>): Promise<Uint8Array[]> {
    // Concurrent actions on one RDD share a run.
    return remembered(this.collecting, node.id, () => {
      const all = Array.from({ length: node.numPartitions }, (_, p) => p);
      return this.resultBytesOf(node, all).finally(() => this.collecting.delete(node.id));
    });
  }

  /**
   * The first `n` rows in partition order: one partition first, then 4x more partitions per round while
   * rows are missing, each task sending back at most the rows still wanted.
   */
  async take<T>(node: LineageNode<T>, n: number): Promise<T[]> {
    const key = `${node.id}#first${n}`;
    const rows = await remembered(this.taking, key, () =>
      this.takeOnce(node as LineageNode<unknown>, n).finally(() => this.taking.delete(key)),
    );
    return [...rows] as T[];
  }

  private async takeOnce(node: LineageNode<unknown>, n: number): Promise<unknown[]> {
    const rows: unknown[] = [];
    let next = 0;
    for (let round = 1; rows.length < n && next < node.numPartitions; round *= 4) {
      const partitions = Array.from(
        { length: Math.min(round, node.numPartitions - next) },
        (_, i) => next + i,
      );
      const parts = await this.resultBytesOf(node, partitions, n - rows.length);
      for (const [i, bytes] of parts.entries()) {
        for (const row of decodeRows(bytes, `${node.id} partition ${partitions[i]}`)) {
          if (rows.length < n) rows.push(row);
        }
      }
      next += partitions.length;
    }
    return rows;
  }

  /** Runs `partitions` of `node` as result tasks: rows come back in results, or (large) via the store. */
  private async resultBytesOf(node: LineageNode<unknown>, partitions: number[], limit?: number) {
    const outcomes = await this.stagesRunner.runFinal(node, { kind: 'result', limit }, partitions);
    const stored = partitions
      .filter((_, i) => !outcomes[i].rowsBytes)
      .map((p) => resultPartKey(node, p, limit));
    const fetched = new Map(
      await Promise.all(
        stored.map(async (key) => {
          const bytes = await this.store.get(key);
          if (!bytes)
            throw new TaskFailedError(`result partition ${key} vanished before it was read`, { key });
          return [key, bytes] as const;
        }),
      ),
    );
    // Results are transient: once read they can go.
    if (stored.length > 0) await this.store.delete(stored);
    return partitions.map((p, i) => outcomes[i].rowsBytes ?? fetched.get(resultPartKey(node, p, limit))!);
  }

  /**
   * Driver code in foreachBatch (say `rdd.map(f).collect()`) runs here, but the job-made lineage under
   * it need not: tasks compute it first (see `jobLineageUnder`) and the driver part reads the partitions.
   */
  private async computeJobLineageOf(stage: Stage, also: Stage[]): Promise<Map<string, Uint8Array[]>> {
    const roots = stage.dep ? [stage, ...also].map((s) => s.dep!.parent) : [stage.node];
    const { toSave, toCompute } = jobLineageUnder(roots, this.batchTime);
    // Once per batch: take() rounds and later driver stages reuse what tasks already computed.
    await Promise.all(
      toSave.map((node) =>
        remembered(this.savedForDriver, node.id, () =>
          this.stagesRunner.runFinal(node, { kind: 'materialize' }),
        ),
      ),
    );
    const computed = await Promise.all(
      toCompute.map(
        async (node) =>
          [node.id, await remembered(this.forDriver, node.id, () => this.encodedPartitionsOf(node))] as const,
      ),
    );
    return new Map(computed);
  }
}
