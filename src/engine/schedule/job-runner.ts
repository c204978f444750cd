import {
  decodeRows,
  materializePartition,
  type SourceReadReport,
  StoreTaskContext,
  type TaskResult,
  type TaskSpec,
  writeResultPartition,
  writeShuffleMaps,
  writeSinkPartition,
} from '../exec';
import type { Sink } from '../graph';
import type { Invoker, Store } from '../io/ports';
import {
  type LineageNode,
  resultPartKey,
  type ShuffleDependency,
  shuffleFileKey,
  storedPartKey,
} from '../plan';
import { remembered } from '../util/remembered';
import { operatorOf, TaskFailedError } from './errors';
import type { StageManifest } from './manifest';
import { ShuffleOffsets } from './shuffle-offsets';
import { DEFAULT_SPECULATION, runSpeculatively, type SpeculationPolicy } from './speculation';
import {
  type Availability,
  buildFinalStage,
  jobLineageUnder,
  type Stage,
  siblingShuffleGroups,
} from './stages';

export interface RetryPolicy {
  /** Attempts per task before the batch fails (Spark's default is 4). */
  maxAttempts: number;
  /** Delay before retry n is `backoffMs * 2^(n-1)`, capped at `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, backoffMs: 100, maxBackoffMs: 5000 };

export type FinalAction =
  /** Rows back to the coordinator; with `limit`, at most that many per partition (take()). */
  | { kind: 'result'; limit?: number }
  | { kind: 'materialize' }
  | { kind: 'sink'; sink: Sink<unknown>; output: number };

/**
 * Runs the stages of one batch. Shuffle-map stages already done in this batch (by an earlier output
 * that shares lineage) are not run again. Stages made by job code run as task invocations; stages made
 * by driver code (inside foreachBatch) run right here, since no task process could rebuild them.
 */
export class BatchJobRunner {
  private readonly shuffleStages = new Map<string, Stage>();
  private readonly running = new Map<string, Promise<void>>();
  /** Shuffle-map stages over the same parent, run as one set of tasks (by member stage id). */
  private readonly fused = new Map<string, Stage[]>();
  /** Runs bringing a node's partitions to the coordinator, shared by concurrent actions on it. */
  private readonly collecting = new Map<string, Promise<Uint8Array[]>>();
  /** Job-made nodes computed (or saved) by tasks for driver code, kept for the rest of the batch. */
  private readonly forDriver = new Map<string, Promise<Uint8Array[]>>();
  private readonly savedForDriver = new Map<string, Promise<void>>();
  private readonly taking = new Map<string, Promise<unknown[]>>();
  readonly stages: StageManifest[] = [];
  /** What tasks read of input partitions by planned source ranges, committed with the batch. */
  readonly sourceReads: SourceReadReport[] = [];

  constructor(
    private readonly job: string,
    private readonly zeroTime: number,
    private readonly batchTime: number,
    private readonly store: Store,
    private readonly invoker: Invoker<TaskSpec, TaskResult>,
    private readonly retry: RetryPolicy,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly speculation: SpeculationPolicy = DEFAULT_SPECULATION,
    /** Offsets of shuffle files written so far, shared across the batches of one coordinator. */
    private readonly shuffleOffsets: ShuffleOffsets = new ShuffleOffsets(),
  ) {}

  /** Computes every partition of `node` and returns the rows in partition order. */
  async collect<T>(node: LineageNode<T>): Promise<T[]> {
    const parts = await this.encodedPartitionsOf(node as LineageNode<unknown>);
    // Decoded per caller: concurrent actions on one RDD share a run, not row objects.
    return parts.flatMap((bytes, p) => decodeRows(bytes, `${node.id} partition ${p}`)) as T[];
  }

  /** Every partition of `node` as tasks (or, for driver-made lineage, this process) encoded it. */
  private encodedPartitionsOf(node: LineageNode<unknown>): Promise<Uint8Array[]> {
    // Concurrent actions on one RDD share a run: they would write and delete the same result keys.
    let pending = this.collecting.get(node.id);
    if (!pending) {
      const all = Array.from({ length: node.numPartitions }, (_, p) => p);
      pending = this.resultBytesOf(node, all).finally(() => this.collecting.delete(node.id));
      this.collecting.set(node.id, pending);
    }
    return pending;
  }

  /**
   * The first `n` rows in partition order: one partition first, then 4x more partitions per round while
   * rows are missing, each task sending back at most the rows still wanted.
   */
  async take<T>(node: LineageNode<T>, n: number): Promise<T[]> {
    const key = `${node.id}#first${n}`;
    let pending = this.taking.get(key);
    if (!pending) {
      pending = this.takeOnce(node as LineageNode<unknown>, n).finally(() => this.taking.delete(key));
      this.taking.set(key, pending);
    }
    return [...(await pending)] as T[];
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

  /** Runs `partitions` of `node` as result tasks and reads their encoded rows back (then deletes them). */
  private async resultBytesOf(node: LineageNode<unknown>, partitions: number[], limit?: number) {
    await this.runFinal(node, { kind: 'result', limit }, partitions);
    const keys = partitions.map((p) => resultPartKey(node, p, limit));
    const parts = await Promise.all(
      keys.map(async (key) => {
        const bytes = await this.store.get(key);
        if (!bytes) throw new TaskFailedError(`result partition ${key} vanished before it was read`, { key });
        return bytes;
      }),
    );
    // Results are transient: once read they can go.
    await this.store.delete(keys);
    return parts;
  }

  /** Runs the final stage of `node` (all its partitions, or just `partitions`) after what it needs. */
  async runFinal(node: LineageNode<unknown>, action: FinalAction, partitions?: number[]): Promise<void> {
    const stage = await buildFinalStage(node, this.shuffleStages, this.availability);
    this.fuseSiblingShuffles(stage);
    await Promise.all(stage.parents.map((parent) => this.ensureShuffle(parent)));
    await this.runStage(partitions ? { ...stage, only: partitions } : stage, action);
  }

  /**
   * Data of this batch exists only once this runner produced it; data of earlier batches is looked up
   * in the store (once per batch), so completed work is never redone and lost work is recomputed.
   */
  private readonly availability: Availability = {
    isMaterialized: (node) =>
      node.time === this.batchTime
        ? Promise.resolve(false)
        : this.remember(`node:${node.id}`, `${node.operator} ${node.id}`, () =>
            this.allStored(node.numPartitions, (p) => storedPartKey(node, p)),
          ),
    missingMapOutputs: (dep) => {
      const all = Array.from({ length: dep.parent.numPartitions }, (_, m) => m);
      if (dep.time === this.batchTime) return Promise.resolve(all);
      let missing = this.missing.get(dep.id);
      if (!missing) {
        missing = Promise.all(all.map((m) => this.store.has(shuffleFileKey(dep, m)))).then((present) => {
          const absent = all.filter((m) => !present[m]);
          if (absent.length > 0) {
            this.lost.push(
              `shuffle of ${dep.operator} ${dep.id} (${absent.length} of ${all.length} map outputs)`,
            );
          }
          return absent;
        });
        this.missing.set(dep.id, missing);
      }
      return missing;
    },
  };
  /** Data of earlier batches found missing while planning this one: recomputed from lineage. */
  readonly lost: string[] = [];
  private readonly known = new Map<string, Promise<boolean>>();
  private readonly missing = new Map<string, Promise<number[]>>();

  private remember(key: string, what: string, check: () => Promise<boolean>): Promise<boolean> {
    let answer = this.known.get(key);
    if (!answer) {
      answer = check().then((present) => {
        if (!present) this.lost.push(what);
        return present;
      });
      this.known.set(key, answer);
    }
    return answer;
  }

  private async allStored(count: number, keyOf: (index: number) => string): Promise<boolean> {
    const present = await Promise.all(Array.from({ length: count }, (_, i) => this.store.has(keyOf(i))));
    return present.every(Boolean);
  }

  /** Sibling shuffles not yet started run as one set of tasks (see `siblingShuffleGroups`). */
  private fuseSiblingShuffles(root: Stage): void {
    const started = (stage: Stage) => this.running.has(stage.id) || this.fused.has(stage.id);
    for (const group of siblingShuffleGroups(root, started)) {
      for (const member of group) this.fused.set(member.id, group);
    }
  }

  private ensureShuffle(stage: Stage): Promise<void> {
    const group = this.fused.get(stage.id) ?? [stage];
    let pending = this.running.get(stage.id);
    if (!pending) {
      pending = (async () => {
        // Another output planned at the same time may still be walking a member's lineage.
        await Promise.all(group.map((member) => member.built));
        await Promise.all(
          group.flatMap((member) => member.parents).map((parent) => this.ensureShuffle(parent)),
        );
        await this.runStage(group[0], { kind: 'result' }, group.slice(1));
      })();
      for (const member of group) this.running.set(member.id, pending);
    }
    return pending;
  }

  /** Runs `stage`; `also` are sibling shuffle-map stages its tasks write too (same parent, partitions). */
  private async runStage(stage: Stage, action: FinalAction, also: Stage[] = []): Promise<void> {
    const given = stage.registered ? undefined : await this.computeJobLineageOf(stage, also);
    const started = Date.now();
    const kind = stage.kind === 'shuffleMap' ? 'shuffleMap' : action.kind;
    const partitions = stage.only ?? Array.from({ length: stage.partitions }, (_, p) => p);
    const speculative = stage.registered
      ? await runSpeculatively(
          partitions.length,
          (i, isBackup, started, signal) =>
            this.runRemote(stage, kind, partitions[i], action, also, { isBackup, started, signal }),
          this.speculation,
        )
      : {
          results: await Promise.all(
            partitions.map((partition) => this.runLocal(stage, kind, partition, action, also, given)),
          ),
          backups: 0,
          backupWins: 0,
        };
    const { results: outcomes, backups, backupWins } = speculative;
    for (const outcome of outcomes) this.sourceReads.push(...(outcome.sourceReads ?? []));
    // A re-run map output's offsets replace what was known; reducers read the header of any file
    // whose offsets are not all known.
    if (stage.dep) {
      this.shuffleOffsets.record(
        stage.dep,
        partitions,
        outcomes.map((o) => o.offsets ?? []),
      );
      also.forEach((sibling, i) => {
        this.shuffleOffsets.record(
          sibling.dep!,
          partitions,
          outcomes.map((o) => o.alsoOffsets?.[i] ?? []),
        );
      });
    }
    this.stages.push({
      id: stage.id,
      kind,
      operator: [stage, ...also].map((s) => s.node.operator).join(' + '),
      ...(also.length > 0 ? { alsoWrites: also.map((s) => s.id) } : {}),
      node: stage.node.id,
      partitions: partitions.length,
      location: stage.registered ? 'tasks' : 'coordinator',
      attempts: outcomes.reduce((sum, o) => sum + o.attempts, 0),
      rows: outcomes.reduce((sum, o) => sum + o.rows, 0),
      bytes: outcomes.reduce((sum, o) => sum + o.bytes, 0),
      durationMs: Date.now() - started,
      ...deadLettered(outcomes),
      ...(backups > 0 ? { speculated: backups, speculativeWins: backupWins } : {}),
      // Stages of earlier batches only run when their output was lost.
      ...(stage.node.time < this.batchTime ? { recovery: true } : {}),
    });
  }

  private async runRemote(
    stage: Stage,
    kind: TaskSpec['kind'],
    partition: number,
    action: FinalAction,
    also: Stage[],
    copy: { isBackup: boolean; started: () => void; signal: AbortSignal },
  ) {
    const spec: TaskSpec = {
      v: 1,
      job: this.job,
      zeroTime: this.zeroTime,
      batchTime: this.batchTime,
      kind,
      node: stage.node.id,
      partition,
      attempt: 0,
      ...(stage.depIndex !== undefined ? { shuffle: stage.depIndex } : {}),
      ...(also.length > 0
        ? { alsoShuffles: also.map((s) => ({ node: s.node.id, shuffle: s.depIndex! })) }
        : {}),
      ...(action.kind === 'sink' && kind === 'sink' ? { output: action.output } : {}),
      ...(action.kind === 'result' && kind === 'result' && action.limit !== undefined
        ? { limit: action.limit }
        : {}),
      ...this.knownOffsets([stage, ...also].flatMap((s) => s.reads)),
    };
    // A backup's attempts are numbered after the original's, so logs and task stores tell them apart.
    const firstAttempt = copy.isBackup ? this.retry.maxAttempts : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.invoker.invoke(
          { ...spec, attempt: firstAttempt + attempt },
          { onStart: copy.started, signal: copy.signal },
        );
        return { ...result, attempts: attempt + 1 };
      } catch (error) {
        // Another copy won: no point retrying this one.
        if (copy.signal.aborted) throw error;
        if (attempt + 1 >= this.retry.maxAttempts) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new TaskFailedError(
            `task ${partition} of ${stage.node.operator} failed ${attempt + 1} times; last error: ${reason}`,
            {
              stage: stage.id,
              partition,
              attempts: attempt + 1,
              operator: operatorOf(error) ?? stage.node.operator,
            },
            { cause: error },
          );
        }
        await this.sleep(Math.min(this.retry.maxBackoffMs, this.retry.backoffMs * 2 ** attempt));
      }
    }
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
        remembered(this.savedForDriver, node.id, () => this.runFinal(node, { kind: 'materialize' })),
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

  /** Driver-made lineage: deterministic errors would repeat, so one attempt. */
  private async runLocal(
    stage: Stage,
    kind: TaskSpec['kind'],
    partition: number,
    action: FinalAction,
    also: Stage[],
    given?: ReadonlyMap<string, Uint8Array[]>,
  ) {
    const ctx = new StoreTaskContext(this.batchTime, this.store, this.shuffleOffsets.all(), given);
    const outcome =
      kind === 'shuffleMap'
        ? await this.writeShuffleMaps([stage, ...also], partition, ctx)
        : kind === 'sink' && action.kind === 'sink'
          ? await writeSinkPartition(stage.node, action.sink, partition, ctx, this.store)
          : kind === 'materialize'
            ? await materializePartition(stage.node, partition, ctx)
            : await writeResultPartition(
                stage.node,
                partition,
                ctx,
                this.store,
                action.kind === 'result' ? action.limit : undefined,
              );
    await ctx.flush();
    return { ...outcome, sourceReads: ctx.sourceReads, attempts: 1 } as {
      sourceReads?: SourceReadReport[];
      rows: number;
      bytes: number;
      offsets?: number[];
      alsoOffsets?: number[][];
      deadLettered?: number;
      attempts: number;
    };
  }

  private async writeShuffleMaps(stages: Stage[], partition: number, ctx: StoreTaskContext) {
    const [first, ...rest] = await writeShuffleMaps(
      stages.map((s) => s.dep!),
      partition,
      ctx,
      this.store,
    );
    return { ...first, alsoOffsets: rest.map((r) => r.offsets) };
  }

  /**
   * Offsets of the shuffles this stage's tasks may read (so reducers skip reading file headers), as many
   * as fit in a small payload: a Lambda request is limited, and a header read is only a fallback cost.
   */
  private knownOffsets(reads: ShuffleDependency[]): { shuffleOffsets?: Record<string, number[][]> } {
    const known: Record<string, number[][]> = {};
    let size = 0;
    for (const dep of reads) {
      if (known[dep.id]) continue;
      const offsets = this.shuffleOffsets.get(dep.id);
      if (!offsets) continue;
      const numbers = offsets.reduce((sum, o) => sum + o.length, 0);
      if (size + numbers > 20_000) break;
      known[dep.id] = offsets;
      size += numbers;
    }
    return size > 0 ? { shuffleOffsets: known } : {};
  }
}

/** Input records the stage's tasks left out as poison (onRecordError 'dead-letter'), when any. */
function deadLettered(outcomes: readonly { deadLettered?: number }[]): { deadLettered?: number } {
  const total = outcomes.reduce((sum, o) => sum + (o.deadLettered ?? 0), 0);
  return total > 0 ? { deadLettered: total } : {};
}
