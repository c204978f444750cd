import { randomUUID } from 'node:crypto';
import type { TaskResult, TaskSpec } from '../exec';
import { encodeRows } from '../exec';
import type { BatchJob, DStreamGraph, InputDStream } from '../graph';
import type { Clock, DeadLetter, Invoker, SourceRange, Store } from '../io/ports';
import {
  batchPrefix,
  checkpointKey,
  deadLetterKey,
  IdScope,
  inputBlockKey,
  type LineageNode,
  MANIFEST_PREFIX,
  manifestKey,
  RDD,
} from '../plan';
import { splitEvenly } from '../util/split';
import { BatchFailedError, CoordinatorCrash, type CrashPoint, operatorOf, ScheduleError } from './errors';
import { BatchJobRunner, DEFAULT_RETRY, type RetryPolicy } from './job-runner';
import { lastCommittedBatch } from './job-state';
import { Lease, StaleCoordinatorError } from './lease';
import {
  type BatchManifest,
  type CheckpointManifest,
  type InputManifest,
  readManifest,
  writeManifest,
} from './manifest';
import { ShuffleOffsets } from './shuffle-offsets';
import { DEFAULT_SPECULATION, type SpeculationPolicy } from './speculation';

export interface CoordinatorOptions {
  job: string;
  graph: DStreamGraph;
  /** The job's store, already scoped to the job's prefix. */
  store: Store;
  invoker: Invoker<TaskSpec, TaskResult>;
  clock: Clock;
  retry?: Partial<RetryPolicy>;
  /** Called after every committed batch (the demo prints it; the dashboard will stream it). */
  onBatch?: (info: BatchInfo) => void;
  /** Backup copies of slow tasks; on by default (75% finished, 1.5x their median, at least 100 ms). */
  speculation?: Partial<SpeculationPolicy>;
  /** Fault injection: crash (throw CoordinatorCrash) when this returns true at a crash point. */
  crashAt?: (point: CrashPoint, batchTime: number) => boolean;
  /** Identifies this coordinator in the lease (default: a random id). */
  owner?: string;
  /** How long the lease lasts without renewal (default: three batch intervals plus 30 s). */
  leaseTtlMs?: number;
  /** Committed batches whose manifests are kept for monitoring (default 100); older ones are deleted. */
  manifestHistory?: number;
}

/** What a finished batch looked like, for humans and monitors. */
export interface BatchInfo {
  batchTime: number;
  records: number;
  schedulingDelayMs: number;
  processingMs: number;
  stages: number;
  tasks: number;
}

/**
 * The coordinator's loop: on every batch tick, read each input's interval into blocks, write the batch
 * manifest, run the outputs' jobs in definition order, commit. Batches run one at a time and in order,
 * so no batch is committed before an earlier one.
 */
export class Coordinator {
  private readonly retry: RetryPolicy;
  private readonly speculation: SpeculationPolicy;
  private nextBatchIndex = 0;
  private resumed = false;
  private lease?: Lease;
  /** Per input stream, the ranges of the last committed batch: where the next batch continues. */
  private readonly positions = new Map<number, SourceRange[]>();
  /** Batch data before this time has been deleted. */
  private collectedBefore?: number;
  /** Where each recent shuffle file's segments start, so reducers skip reading headers. */
  private readonly shuffleOffsets = new ShuffleOffsets();
  private manifestsBefore?: number;

  constructor(private readonly options: CoordinatorOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.speculation = { ...DEFAULT_SPECULATION, ...options.speculation };
  }

  get graph(): DStreamGraph {
    return this.options.graph;
  }

  /** The time of the next batch to run. */
  get nextBatchTime(): number {
    return this.graph.zeroTime + this.graph.batchMs * (this.nextBatchIndex + 1);
  }

  /** Runs batches until `batches` have run or `signal` aborts (a running batch finishes first). */
  async run(options: { batches?: number; signal?: AbortSignal } = {}): Promise<void> {
    const { batches = Number.POSITIVE_INFINITY, signal } = options;
    await this.resume();
    try {
      for (let done = 0; done < batches && !signal?.aborted; done++) {
        const time = this.nextBatchTime;
        if (!(await sleepUnlessAborted(this.options.clock, time, signal))) return;
        await this.runBatch(time);
      }
    } catch (error) {
      // A crashed coordinator releases nothing: the next one waits for the lease to expire.
      if (error instanceof CoordinatorCrash) this.lease = undefined;
      throw error;
    } finally {
      await this.lease?.release().catch(() => undefined);
    }
  }

  private maybeCrash(point: CrashPoint, time: number): void {
    if (this.options.crashAt?.(point, time)) throw new CoordinatorCrash(point, time);
  }

  /** Continues after the newest committed batch in the store, so no committed batch runs twice. */
  async resume(): Promise<void> {
    if (this.resumed) return;
    this.resumed = true;
    const { store, clock } = this.options;
    this.lease = await Lease.acquire(
      store,
      clock,
      this.options.owner ?? randomUUID(),
      this.options.leaseTtlMs ?? 3 * this.graph.batchMs + 30_000,
    );
    await Promise.all(this.graph.inputs.map((input) => input.source.validate?.()));
    const last = await lastCommittedBatch(this.options.store, this.graph.zeroTime);
    if (!last) return;
    this.nextBatchIndex = Math.round((last.batchTime - this.graph.zeroTime) / this.graph.batchMs);
    for (const input of last.inputs) this.positions.set(input.stream, input.ranges);
  }

  /** Runs one batch to commit. Throws BatchFailedError (and leaves a failed manifest) if it cannot. */
  async runBatch(time: number): Promise<BatchInfo> {
    const { clock, store, graph, job } = this.options;
    if (time !== this.nextBatchTime) {
      throw new ScheduleError(`batch ${time} is out of order; the next batch is ${this.nextBatchTime}`, {
        time,
      });
    }
    const startedAt = clock.now();
    const manifest: BatchManifest = {
      version: 1,
      job,
      batchTime: time,
      zeroTime: graph.zeroTime,
      batchMs: graph.batchMs,
      status: 'running',
      inputs: [],
      outputs: [],
      rdds: [],
      stages: [],
      timing: { scheduledAt: time, startedAt, schedulingDelayMs: Math.max(0, startedAt - time) },
    };
    const runner = new BatchJobRunner(
      job,
      graph.zeroTime,
      time,
      store,
      this.options.invoker,
      this.retry,
      (ms) => sleep(ms),
      this.speculation,
      this.shuffleOffsets,
    );
    let operator = 'input';
    try {
      await this.lease?.renew();
      manifest.inputs = await this.batchInputs(time);
      await writeManifest(store, manifest);
      this.maybeCrash('after-manifest', time);
      operator = 'lineage generation';
      const jobs = graph.generateJobs(time);
      manifest.outputs = jobs.map((j) => ({
        index: j.output.outputIndex,
        operator: j.output.operator,
        node: j.rdd.node.id,
        partitions: j.rdd.numPartitions,
      }));
      manifest.rdds = describeLineage(jobs.map((j) => j.rdd.node));
      for (const batchJob of jobs) {
        operator = batchJob.output.describe();
        await this.runOutput(batchJob, runner);
        this.maybeCrash('mid-fanout', time);
      }
      operator = 'checkpoint';
      manifest.checkpoints = await this.writeCheckpoints(time, runner);
    } catch (error) {
      // A replaced coordinator writes nothing more, not even a failed manifest.
      if (error instanceof StaleCoordinatorError || error instanceof CoordinatorCrash) throw error;
      manifest.status = 'failed';
      manifest.stages = runner.stages;
      const failedIn = operatorOf(error) ?? operator;
      manifest.error = {
        message: error instanceof Error ? error.message : String(error),
        operator: failedIn,
      };
      await writeManifest(store, manifest).catch(() => undefined);
      throw new BatchFailedError(time, failedIn, error);
    }
    const finishedAt = clock.now();
    // The fence: a coordinator that was replaced while this batch ran must not commit it.
    this.maybeCrash('before-commit', time);
    await this.lease?.check();
    manifest.status = 'committed';
    manifest.stages = runner.stages;
    if (runner.lost.length > 0) {
      const recoveryStages = runner.stages.filter((s) => s.recovery);
      manifest.recovery = {
        lost: runner.lost,
        recoveryStages: recoveryStages.length,
        recoveryMs: recoveryStages.reduce((max, s) => Math.max(max, s.durationMs), 0),
      };
    }
    manifest.timing.finishedAt = finishedAt;
    manifest.timing.processingMs = finishedAt - startedAt;
    await writeManifest(store, manifest);
    this.maybeCrash('after-commit', time);
    this.nextBatchIndex++;
    for (const input of manifest.inputs) this.positions.set(input.stream, input.ranges);
    graph.forget(time);
    await this.collectGarbage(time - graph.maxRememberMs() + graph.batchMs);
    const info: BatchInfo = {
      batchTime: time,
      records: manifest.inputs.reduce((sum, i) => sum + i.records, 0),
      schedulingDelayMs: manifest.timing.schedulingDelayMs,
      processingMs: finishedAt - startedAt,
      stages: runner.stages.length,
      tasks: runner.stages.reduce((sum, s) => sum + s.partitions, 0),
    };
    this.options.onBatch?.(info);
    return info;
  }

  /**
   * The batch's inputs. A batch that was started before (a failed attempt, or a coordinator that died)
   * keeps the inputs its manifest recorded: its blocks, cached partitions and sink output were made from
   * them, so reading the source afresh (Kinesis would return more records) would mix two inputs. The
   * manifest acts as the write-ahead log of the batch.
   */
  private async batchInputs(time: number): Promise<InputManifest[]> {
    const earlier = await readManifest(this.options.store, time);
    // Only a manifest that recorded every input counts: an attempt can fail before its inputs are in.
    const recorded =
      earlier &&
      earlier.status !== 'committed' &&
      earlier.zeroTime === this.graph.zeroTime &&
      this.graph.inputs.every((input) => earlier.inputs.some((i) => i.stream === input.id));
    if (recorded) return earlier.inputs;
    return Promise.all(this.graph.inputs.map((input) => this.writeInput(input, time)));
  }

  /**
   * Records where the input's interval comes from. Sources that tasks can read directly only have their
   * ranges noted; the others are read here and written as one block per partition (contiguous, in order).
   */
  private async writeInput(input: InputDStream<unknown>, time: number): Promise<InputManifest> {
    const interval = input.interval(time);
    const base = { stream: input.id, name: input.name };
    if (input.source.direct) {
      const ranges = input.source.direct.ranges(interval, input.partitions);
      const records = ranges.reduce((sum, r) => sum + r.count, 0);
      return { ...base, records, ranges, blocks: [], direct: true };
    }
    const batch = await input.source.read(interval, this.positions.get(input.id));
    const blocks = splitEvenly(batch.records, input.partitions);
    const written = await Promise.all(
      blocks.map(async (rows, partition) => {
        const key = inputBlockKey(input.id, time, partition);
        await this.options.store.put(key, encodeRows(rows));
        return { key, records: rows.length };
      }),
    );
    const deadLetters = await this.writeDeadLetters(input, time, batch.deadLetters ?? []);
    return {
      ...base,
      records: batch.records.length,
      ranges: batch.ranges,
      blocks: written,
      direct: false,
      ...(deadLetters > 0 ? { deadLetters } : {}),
    };
  }

  /** Records the source could not decode go to the store, one object each, with where they came from. */
  private async writeDeadLetters(input: InputDStream<unknown>, time: number, letters: readonly DeadLetter[]) {
    await Promise.all(
      letters.map((letter) =>
        this.options.store.put(
          deadLetterKey(input.id, time, letter.shard, letter.position),
          new TextEncoder().encode(
            JSON.stringify({
              stream: input.name,
              batchTime: time,
              shard: letter.shard,
              position: letter.position,
              error: letter.error,
              data: Buffer.from(letter.data).toString('base64'),
            }),
          ),
        ),
      ),
    );
    return letters.length;
  }

  private async runOutput(batchJob: BatchJob, runner: BatchJobRunner): Promise<void> {
    const { output, rdd, time } = batchJob;
    const action = output.action;
    if (action.kind === 'sink') {
      await runner.runFinal(rdd.node, { kind: 'sink', sink: action.sink, output: output.outputIndex });
      await action.sink.commitBatch({
        batchTime: time,
        numPartitions: rdd.numPartitions,
        store: this.options.store,
      });
      return;
    }
    const driverScope = new IdScope(`d${output.outputIndex}`, time, false);
    const driverRdd = new RDD(rdd.node, {
      collect: (node) => runner.collect(node),
      take: (node, n) => runner.take(node, n),
      scope: driverScope,
    });
    await action.fn(driverRdd, time);
  }

  /**
   * Saves the RDDs of streams that checkpoint at this time. Usually an output already computed them
   * (which saved them); any partition still missing is computed now, so the next batch can rely on it.
   */
  private async writeCheckpoints(time: number, runner: BatchJobRunner): Promise<CheckpointManifest[]> {
    const written: CheckpointManifest[] = [];
    for (const stream of this.graph.checkpointsAt(time)) {
      const rdd = stream.getOrCompute(time);
      if (!rdd) continue;
      const keys = Array.from({ length: rdd.numPartitions }, (_, p) => checkpointKey(stream.id, time, p));
      const present = await Promise.all(keys.map((key) => this.options.store.has(key)));
      if (present.some((p) => !p)) await runner.runFinal(rdd.node, { kind: 'materialize' });
      written.push({ stream: stream.id, operator: stream.operator, partitions: rdd.numPartitions });
    }
    return written;
  }

  /** Manifests past the history the coordinator keeps for monitoring (the newest is always kept). */
  private async expiredManifests(): Promise<string[]> {
    // Replaying a lost input block needs its manifest for as long as any batch may read that input.
    const needed = Math.ceil(this.graph.maxRememberMs() / this.graph.batchMs) + 1;
    const history = Math.max(1, needed, this.options.manifestHistory ?? 100);
    const newestToDrop = this.nextBatchTime - this.graph.batchMs * (history + 1);
    if (this.manifestsBefore === undefined) {
      const oldest = (await this.options.store.list(MANIFEST_PREFIX))[0]?.key;
      this.manifestsBefore = oldest
        ? Number(oldest.slice(MANIFEST_PREFIX.length, -'.json'.length))
        : newestToDrop + this.graph.batchMs;
    }
    const keys: string[] = [];
    for (let t = this.manifestsBefore; t <= newestToDrop; t += this.graph.batchMs) keys.push(manifestKey(t));
    this.manifestsBefore = Math.max(this.manifestsBefore, newestToDrop + this.graph.batchMs);
    return keys;
  }

  /**
   * Deletes batch data (blocks, shuffle files, cached partitions, checkpoints) and manifests older than
   * `keepFrom`: no later batch, window or recovery can reach them. The newest committed manifest always
   * stays (a restarted coordinator resumes from it).
   */
  async collectGarbage(keepFrom: number): Promise<void> {
    const { store } = this.options;
    if (this.collectedBefore === undefined) {
      // First collection of this coordinator: find the oldest leftover batch with one listing.
      const oldest = (await store.list('batches/'))[0]?.key;
      this.collectedBefore = oldest ? Number(oldest.split('/')[1]) : keepFrom;
    }
    const doomed: string[] = [];
    for (let t = this.collectedBefore; t < keepFrom; t += this.graph.batchMs) {
      for (const entry of await store.list(batchPrefix(t))) doomed.push(entry.key);
    }
    doomed.push(...(await this.expiredManifests()));
    this.collectedBefore = Math.max(this.collectedBefore, keepFrom);
    this.shuffleOffsets.forgetBefore(keepFrom);
    if (doomed.length > 0) await store.delete(doomed);
  }
}

function describeLineage(roots: LineageNode<unknown>[]) {
  const seen = new Map<string, { id: string; operator: string; partitions: number }>();
  const visit = (node: LineageNode<unknown>) => {
    if (seen.has(node.id)) return;
    seen.set(node.id, { id: node.id, operator: node.operator, partitions: node.numPartitions });
    for (const dep of node.dependencies) visit(dep.parent);
  };
  roots.forEach(visit);
  return [...seen.values()];
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

async function sleepUnlessAborted(clock: Clock, time: number, signal?: AbortSignal): Promise<boolean> {
  if (!signal) {
    await clock.sleepUntil(time);
    return true;
  }
  if (signal.aborted) return false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<false>((resolve) => {
    onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const result = await Promise.race([clock.sleepUntil(time).then(() => true), aborted]);
  signal.removeEventListener('abort', onAbort!);
  return result;
}
