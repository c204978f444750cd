import { randomUUID } from 'node:crypto';
import { JobCatalog, Lease, loadOrCreateJobState, StaleCoordinatorError } from '../catalog';
import type { DStreamGraph } from '../graph';
import { addRequests, meteredInvoker, meteredStore, RequestMeter, withMeter } from '../io/metering';
import { BatchClaim } from './batch-claim';
import { type BatchInfo, batchInfoOf, describeLineage, newManifest, recoveryOf } from './batch-info';
import { BatchLog } from './batch-log';
import { runWithBatchRetries } from './batch-retry';
import { Cleaner } from './cleaner';
import type { CoordinatorOptions } from './coordinator-options';
import { DataPlane } from './data-plane';
import { BatchFailedError, CoordinatorCrash, type CrashPoint, operatorOf, ScheduleError } from './errors';
import { InputTracker } from './input-tracker';
import { type BatchJobRunner, DEFAULT_RETRY, type RetryPolicy } from './job-runner';
import { busOf, type ListenerBus } from './listener-bus';
import { runOutput, writeCheckpoints } from './outputs';
import { DEFAULT_SPECULATION, type SpeculationPolicy } from './speculation';
import { sleepUnlessAborted } from './waiting';

export type { BatchInfo } from './batch-info';
export type { CoordinatorOptions } from './coordinator-options';

/**
 * The coordinator's loop (Spark's JobGenerator): on every batch tick, decide each input's interval,
 * claim the batch by writing its manifest (create-once), write the inputs, run the outputs' jobs in
 * definition order, commit (compare-and-set). Batches run one at a time and in order, so no batch is
 * committed before an earlier one; every externally visible write is preceded by proof of the lease.
 */
export class Coordinator {
  private readonly retry: RetryPolicy;
  private readonly speculation: SpeculationPolicy;
  private readonly catalog: JobCatalog;
  private readonly inputs: InputTracker;
  private readonly cleaner: Cleaner;
  private nextBatchIndex = 0;
  private resuming?: Promise<void>;
  private takingOver = false;
  private lease?: Lease;
  private readonly log: BatchLog;
  private readonly claims: BatchClaim;
  /** What the coordinator holds between batches, and how each batch's stages are run. */
  private readonly data: DataPlane;
  private successor?: string;
  /**
   * Fault injection for the chaos suite, set on a coordinator it built; never set in production: when
   * it returns true at a crash point, the coordinator dies there (throws CoordinatorCrash).
   */
  crashAt?: (point: CrashPoint, batchTime: number) => boolean;

  private readonly options: CoordinatorOptions;
  /** Where everything that happens is posted (see listener-bus.ts). */
  readonly bus: ListenerBus;
  /** The AWS requests made since the last commit; each committed manifest takes what it reports. */
  private readonly meter = new RequestMeter();

  constructor(options: CoordinatorOptions) {
    // Every store request and task invocation of this coordinator is counted (see io/metering).
    this.options = {
      ...options,
      store: meteredStore(options.store),
      invoker: meteredInvoker(options.invoker, options.taskMemoryMb),
    };
    this.bus = busOf(options);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.speculation = { ...DEFAULT_SPECULATION, ...options.speculation };
    this.catalog = new JobCatalog(this.options.store);
    this.inputs = new InputTracker(options.graph, this.options.store);
    this.log = new BatchLog(this.catalog, options.graph);
    this.data = new DataPlane(this.options, this.retry, this.speculation, this.bus);
    this.claims = new BatchClaim(
      this.log,
      this.inputs,
      async () => this.lease?.assertHeld(),
      (time) => this.cleaner.noteTransientWrite(time),
    );
    this.cleaner = new Cleaner(
      options.graph,
      this.catalog,
      [this.data],
      options.manifestHistory ?? 100,
      (message) => this.bus.post('onCoordinatorNotice', { message }),
    );
  }

  get graph(): DStreamGraph {
    return this.options.graph;
  }

  /** The time of the next batch to run. */
  get nextBatchTime(): number {
    return this.graph.zeroTime + this.graph.batchMs * (this.nextBatchIndex + 1);
  }

  /** When this coordinator's lease runs out unless renewed (undefined before it started). */
  get leaseExpiresAt(): number | undefined {
    return this.lease?.expiresAt;
  }

  /** On stop, hand the lease to this successor instead of releasing it, so only it may continue. */
  handOverOnStop(successor: string): void {
    this.successor = successor;
  }

  /** Runs batches until `batches` have run or `signal` aborts (a running batch finishes first). */
  run(options: { batches?: number; signal?: AbortSignal } = {}): Promise<void> {
    return withMeter(this.meter, () => this.runMetered(options));
  }

  private async runMetered(options: { batches?: number; signal?: AbortSignal }): Promise<void> {
    const { batches = Number.POSITIVE_INFINITY, signal } = options;
    // A coordinator that stopped (and gave up its lease) takes it again before running more batches.
    // One still under way (a caller's resume() just before run()) is joined, never started twice.
    if (!this.lease && !this.takingOver) this.resuming = undefined;
    await this.resume();
    const stopped = (reason: 'stopped' | 'done' | 'failed', error?: Error) =>
      this.bus.post('onStreamingStopped', { job: this.options.job, reason, ...(error ? { error } : {}) });
    try {
      for (let done = 0; done < batches && !signal?.aborted; done++) {
        const time = this.nextBatchTime;
        if (!(await sleepUnlessAborted(this.options.clock, time, signal))) return stopped('stopped');
        await this.runBatchRetrying(time);
      }
      stopped(signal?.aborted ? 'stopped' : 'done');
    } catch (error) {
      stopped('failed', error as Error);
      // A crashed coordinator gives nothing back (it is dead). A replaced one still tries to release: the
      // compare-and-set only succeeds if the lease is in fact still its own.
      if (error instanceof CoordinatorCrash) this.lease = undefined;
      throw error;
    } finally {
      const lease = this.lease;
      this.lease = undefined;
      if (lease && this.successor) await lease.handOver(this.successor).catch(() => lease.release());
      else await lease?.release();
    }
  }

  /** Runs a batch, retrying in place what may pass (see batch-retry.ts). */
  private runBatchRetrying(time: number): Promise<BatchInfo> {
    const { clock, batchRetries, batchRetryBackoffMs, deadline, maxBatchMs } = this.options;
    return runWithBatchRetries(time, () => this.runBatch(time), {
      clock,
      bus: this.bus,
      retries: batchRetries,
      backoffMs: batchRetryBackoffMs,
      deadline,
      keepAlive: () => this.lease?.keepAlive(maxBatchMs ?? Math.max(15 * 60_000, 10 * this.graph.batchMs)),
    });
  }

  private maybeCrash(point: CrashPoint, time: number): void {
    if (this.crashAt?.(point, time)) throw new CoordinatorCrash(point, time);
  }

  /**
   * Takes the lease and continues after the newest committed batch, with the job's recorded zero time,
   * so no committed batch runs twice. A failed start gives the lease back at once.
   */
  resume(): Promise<void> {
    if (!this.resuming) {
      this.takingOver = true;
      this.resuming = withMeter(this.meter, () => this.takeOver()).finally(() => {
        this.takingOver = false;
      });
    }
    return this.resuming;
  }

  private async takeOver(): Promise<void> {
    const { clock, job } = this.options;
    this.log.resumed();
    const lease = await Lease.acquire(
      this.catalog,
      clock,
      this.options.owner ?? randomUUID(),
      this.options.leaseTtlMs ?? 3 * this.graph.batchMs + 30_000,
    );
    try {
      const state = await loadOrCreateJobState(this.catalog, {
        job,
        zeroTime: this.graph.zeroTime,
        batchMs: this.graph.batchMs,
        partitions: storedPartitionsOf(this.graph),
      });
      this.graph.zeroTime = state.zeroTime;
      await Promise.all(this.graph.inputs.map((input) => input.source.validate?.()));
      const last = await this.catalog.lastCommitted(state.zeroTime);
      if (last) {
        this.nextBatchIndex = Math.round((last.batchTime - this.graph.zeroTime) / this.graph.batchMs);
        this.inputs.committed(last.inputs);
      }
    } catch (error) {
      await lease.release();
      throw error;
    }
    this.lease = lease;
    this.bus.post('onStreamingStarted', {
      job,
      owner: lease.owner,
      epoch: lease.epoch,
      zeroTime: this.graph.zeroTime,
      batchMs: this.graph.batchMs,
      nextBatchTime: this.nextBatchTime,
    });
  }

  /** Runs one batch to commit. Throws BatchFailedError (and leaves a failed manifest) if it cannot. */
  runBatch(time: number): Promise<BatchInfo> {
    return withMeter(this.meter, () => this.runMeteredBatch(time));
  }

  private async runMeteredBatch(time: number): Promise<BatchInfo> {
    const { clock, store, graph, job } = this.options;
    if (time !== this.nextBatchTime) {
      throw new ScheduleError(`batch ${time} is out of order; the next batch is ${this.nextBatchTime}`, {
        time,
      });
    }
    const startedAt = clock.now();
    const manifest = newManifest(job, graph, time, startedAt);
    if (this.lease) manifest.writtenBy = { owner: this.lease.owner, epoch: this.lease.epoch };
    let operator = 'input';
    let runner: BatchJobRunner | undefined;
    try {
      await this.claims.claim(time, manifest);
      this.bus.post('onBatchSubmitted', {
        batchTime: time,
        inputs: manifest.inputs.map((input) => ({
          name: input.name,
          records: input.records,
          shards: input.ranges.length,
        })),
      });
      runner = this.data.runnerFor(time, manifest, (t) => this.cleaner.noteTransientWrite(t));
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
      await runner.planAhead(jobs.map((j) => j.rdd.node));
      for (const batchJob of jobs) {
        operator = batchJob.output.describe();
        await this.lease?.assertHeld();
        await runOutput(batchJob, runner, store, () => this.lease?.assertHeld());
        this.maybeCrash('mid-fanout', time);
      }
      operator = 'checkpoint';
      manifest.checkpoints = await writeCheckpoints(graph, time, runner, store);
      operator = 'input';
      // What tasks read of planned source ranges replaces the plans: the next batch continues after it.
      manifest.inputs = this.inputs.settle(time, manifest.inputs, runner.sourceReads);
    } catch (error) {
      // A replaced coordinator writes nothing more, not even a failed manifest.
      if (error instanceof StaleCoordinatorError || error instanceof CoordinatorCrash) throw error;
      manifest.status = 'failed';
      manifest.stages = runner?.stages ?? [];
      const failedIn = operatorOf(error) ?? operator;
      manifest.error = {
        message: error instanceof Error ? error.message : String(error),
        operator: failedIn,
      };
      manifest.requests = addRequests(this.meter.peek(), { s3Put: 1 });
      await this.log.write(manifest).catch(() => undefined);
      throw new BatchFailedError(time, failedIn, error);
    }
    const finishedAt = clock.now();
    this.maybeCrash('before-commit', time);
    manifest.status = 'committed';
    manifest.stages = runner.stages;
    if (runner.poisonedRecords > 0) manifest.poisonedRecords = runner.poisonedRecords;
    const recovery = recoveryOf(runner.lost, runner.stages);
    if (recovery) manifest.recovery = recovery;
    manifest.timing.finishedAt = finishedAt;
    manifest.timing.processingMs = finishedAt - startedAt;
    // Everything since the last commit, and this manifest's own write (one PUT).
    manifest.requests = addRequests(this.meter.peek(), { s3Put: 1 });
    // The fence: a coordinator that was replaced while this batch ran cannot commit it.
    await this.lease?.assertHeld();
    try {
      await this.log.write(manifest);
    } catch (error) {
      // The commit did not happen (or cannot be known to): the batch runs again, on the same inputs.
      if (error instanceof StaleCoordinatorError) throw error;
      throw new BatchFailedError(time, 'commit', error);
    }
    this.log.committed();
    this.meter.deduct(manifest.requests);
    this.maybeCrash('after-commit', time);
    this.nextBatchIndex++;
    this.inputs.committed(manifest.inputs);
    graph.forget(time);
    await this.cleaner.collect(time - graph.maxRememberMs() + graph.batchMs, this.nextBatchTime);
    const info = batchInfoOf(manifest, runner.stages);
    await this.data.committed(info.records, (t) => this.cleaner.noteTransientWrite(t));
    this.bus.post('onBatchCompleted', { info, manifest });
    return info;
  }

  /** Deletes what no later batch can reach (see Cleaner). */
  collectGarbage(keepFrom: number): Promise<void> {
    return withMeter(this.meter, () => this.cleaner.collect(keepFrom, this.nextBatchTime));
  }
}

/** The partition counts a restart must keep, by stream. */
function storedPartitionsOf(graph: DStreamGraph): Record<string, number> {
  const shape: Record<string, number> = {};
  for (const stream of graph.streams) {
    const partitions = stream.storedPartitions;
    if (partitions !== undefined) shape[`${stream.id}:${stream.operator}`] = partitions;
  }
  return shape;
}
