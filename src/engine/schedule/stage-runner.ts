import type { SourceReadReport } from '../exec';
import type { Sink } from '../graph';
import type { Clock, SourceRange } from '../io/ports';
import { CheckpointNode, type LineageNode, SourceNode } from '../plan';
import type { DataAvailability } from './data-availability';
import type { ListenerBus } from './listener-bus';
import type { StageManifest } from './manifest';
import { buildFinalStage, type Stage, siblingShuffleGroups } from './stages';
import type { HeldData } from './task-inputs';
import type { LaunchedOutcome, TaskLauncher, TaskPlan } from './task-launcher';

export type FinalAction =
  /** Rows back to the coordinator; with `limit`, at most that many per partition (take()). */
  | { kind: 'result'; limit?: number }
  | { kind: 'materialize' }
  | { kind: 'sink'; sink: Sink<unknown>; output: number };

/** Where a batch's job-made tasks run: as invocations, or all in the coordinator (a small batch). */
export type Placement = 'tasks' | 'coordinator';

/**
 * Runs the stages of one batch (Spark's DAGScheduler): parents first, each shuffle-map stage once per
 * batch (outputs planned at the same time share it), siblings over one parent fused into one set of
 * tasks; map outputs and persisted partitions tasks send back are kept for the tasks that read them.
 */
export class StageRunner {
  private readonly shuffleStages = new Map<string, Stage>();
  private readonly running = new Map<string, Promise<void>>();
  /** Shuffle-map stages over the same parent, run as one set of tasks (by member stage id). */
  private readonly fused = new Map<string, Stage[]>();
  readonly stages: StageManifest[] = [];
  /**
   * This batch's input records left out as poison, each once: stages over the same input may each
   * leave the same record out (its dead letter is listed once too). Recovery stages' are not this batch's.
   */
  readonly poisonedInputs = new Set<string>();
  /** What tasks read of input partitions by planned source ranges, committed with the batch. */
  readonly sourceReads: SourceReadReport[] = [];

  constructor(
    private readonly batchTime: number,
    /** Stage durations are on the coordinator's clock, so a simulated run records simulated times. */
    private readonly clock: Clock,
    private readonly launcher: TaskLauncher,
    private readonly held: HeldData,
    private readonly availability: DataAvailability,
    private readonly placement: Placement,
    /** Driver-made stages get the job-made lineage under them computed by tasks first. */
    private readonly driverInputs: (stage: Stage, also: Stage[]) => Promise<Map<string, Uint8Array[]>>,
    private readonly bus?: ListenerBus,
  ) {}

  /** Runs the final stage of `node` (all its partitions, or just `partitions`) after what it needs. */
  async runFinal(node: LineageNode<unknown>, action: FinalAction, partitions?: number[]) {
    const stage = await buildFinalStage(node, this.shuffleStages, this.availability);
    this.fuseSiblingShuffles(stage);
    await Promise.all(stage.parents.map((parent) => this.ensureShuffle(parent)));
    return this.runStage(partitions ? { ...stage, only: partitions } : stage, action);
  }

  /**
   * Plans the stages of every output of the batch before any runs: shuffles over one parent needed by
   * different outputs (a word count and running totals of the same words) are then written by one set of
   * map tasks, reading the input once, instead of one set per output.
   */
  async planAhead(nodes: readonly LineageNode<unknown>[]): Promise<void> {
    const finals = await Promise.all(
      nodes
        .filter((node) => node.registered)
        .map((node) => buildFinalStage(node, this.shuffleStages, this.availability)),
    );
    const all: Stage = { ...finals[0], id: 'plan-ahead', parents: finals.flatMap((f) => f.parents) };
    if (finals.length > 0) this.fuseSiblingShuffles(all);
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
  private async runStage(stage: Stage, action: FinalAction, also: Stage[] = []): Promise<LaunchedOutcome[]> {
    const started = this.clock.now();
    const plan: TaskPlan = {
      stage,
      kind: stage.kind === 'shuffleMap' ? 'shuffleMap' : action.kind,
      also,
      ...(action.kind === 'result' && action.limit !== undefined ? { limit: action.limit } : {}),
      ...(action.kind === 'sink' ? { output: action.output, sink: action.sink } : {}),
    };
    const partitions = stage.only ?? Array.from({ length: stage.partitions }, (_, p) => p);
    const inTasks = stage.registered && this.placement === 'tasks';
    const {
      results: outcomes,
      backups,
      backupWins,
    } = inTasks
      ? await this.runRemotely(plan, partitions)
      : {
          results: await this.launcher.local(
            plan,
            partitions,
            stage.registered ? undefined : await this.driverInputs(stage, also),
          ),
          backups: 0,
          backupWins: 0,
        };
    this.keepOutputs(stage, also, partitions, outcomes);
    if (stage.node.time >= this.batchTime) {
      for (const outcome of outcomes)
        for (const id of outcome.deadLetteredInputs ?? []) this.poisonedInputs.add(id);
    }
    for (const outcome of outcomes) this.sourceReads.push(...(outcome.sourceReads ?? []));
    this.stages.push({
      id: stage.id,
      kind: plan.kind,
      operator: [stage, ...also].map((s) => s.node.operator).join(' + '),
      ...(also.length > 0 ? { alsoWrites: also.map((s) => s.id) } : {}),
      node: stage.node.id,
      partitions: partitions.length,
      location: inTasks ? 'tasks' : 'coordinator',
      attempts: outcomes.reduce((sum, o) => sum + o.attempts, 0),
      rows: outcomes.reduce((sum, o) => sum + o.rows, 0),
      bytes: outcomes.reduce((sum, o) => sum + o.bytes, 0),
      durationMs: this.clock.now() - started,
      ...deadLettered(outcomes),
      ...(backups > 0 ? { speculated: backups, speculativeWins: backupWins } : {}),
      // Stages of earlier batches only run when their output was lost.
      ...(stage.node.time < this.batchTime ? { recovery: true } : {}),
    });
    this.bus?.post('onStageCompleted', {
      batchTime: this.batchTime,
      stage: this.stages[this.stages.length - 1],
    });
    return outcomes;
  }

  /**
   * Invokes a task per partition, except for partitions whose only input is source ranges and that got
   * none (more partitions than shards): their empty result is computed here, not worth an invocation.
   */
  private async runRemotely(plan: TaskPlan, partitions: readonly number[]) {
    // A shuffle-map task computes the shuffle's parent; others the stage's node.
    const roots = [plan.stage, ...plan.also].map((s) => (s.dep ? s.dep.parent : s.node));
    const idle = partitions.filter((p) => roots.every((node) => readsNoInput(node, p, this.held.ranges)));
    if (idle.length === 0) return this.launcher.remote(plan, partitions);
    const invoked = partitions.filter((p) => !idle.includes(p));
    const [remote, local] = await Promise.all([
      invoked.length > 0
        ? this.launcher.remote(plan, invoked)
        : { results: [] as LaunchedOutcome[], backups: 0, backupWins: 0 },
      this.launcher.local(plan, idle),
    ]);
    const byPartition = new Map<number, LaunchedOutcome>([
      ...invoked.map((p, i) => [p, remote.results[i]] as const),
      ...idle.map((p, i) => [p, local[i]] as const),
    ]);
    return { ...remote, results: partitions.map((p) => byPartition.get(p)!) };
  }

  /** Map outputs and persisted partitions the tasks sent back, for the tasks that read them. */
  private keepOutputs(stage: Stage, also: Stage[], partitions: number[], outcomes: LaunchedOutcome[]) {
    const wrote = (time: number) => this.held.noteTransientWrite(time);
    for (const outcome of outcomes) {
      if (outcome.mapOutputs?.some((o) => !o.bytes)) wrote(stage.dep!.time);
      for (const part of outcome.persisted ?? []) if (part.stored && !part.bytes) wrote(part.time);
    }
    if (stage.dep) {
      [stage, ...also].forEach((member, i) => {
        this.held.outputs.record(
          member.dep!,
          partitions,
          outcomes.map((o) => o.mapOutputs?.[i]),
        );
      });
    }
    for (const outcome of outcomes) if (outcome.persisted) this.held.cache.record(outcome.persisted);
  }
}

/** Input records the stage's tasks left out as poison (onRecordError 'dead-letter'), when any. */
function deadLettered(outcomes: readonly { deadLettered?: number }[]): { deadLettered?: number } {
  const total = outcomes.reduce((sum, o) => sum + (o.deadLettered ?? 0), 0);
  return total > 0 ? { deadLettered: total } : {};
}

/**
 * Whether partition `partition` of `node` reads nothing at all: its narrow lineage ends only in source
 * partitions that were planned no range (sources whose every range names its partition), with no
 * shuffle, held or checkpointed data on the way.
 */
function readsNoInput(
  node: LineageNode<unknown>,
  partition: number,
  ranges: ReadonlyMap<string, readonly SourceRange[]>,
): boolean {
  if (node instanceof SourceNode) {
    const planned = ranges.get(`${node.streamId}@${node.batchTime}`);
    return (
      planned?.every((r) => r.partition !== undefined) === true &&
      !planned.some((r) => r.partition === partition)
    );
  }
  if (node.persisted || node.checkpointOf !== undefined || node instanceof CheckpointNode) return false;
  if (node.dependencies.some((dep) => dep.kind === 'shuffle')) return false;
  const reads = node.narrowReads(partition);
  return reads.length > 0 && reads.every(([parent, p]) => readsNoInput(parent, p, ranges));
}
