import type { BatchManifest } from '../catalog';
import type { CoordinatorOptions } from './coordinator-options';
import { BatchJobRunner, DEFAULT_EXCHANGE, type RetryPolicy } from './job-runner';
import type { ListenerBus } from './listener-bus';
import { MapOutputTracker } from './map-output-tracker';
import { PartitionCache } from './partition-cache';
import type { SpeculationPolicy } from './speculation';
import { sleep } from './waiting';

/** What the coordinator may hold between batches unless told (CoordinatorOptions.holdMb). */
export const DEFAULT_HOLD_MB = 768;

/**
 * What the coordinator holds between batches (map outputs tasks sent back, state and window partitions
 * saved to the store only at checkpoints) and how each batch's stages run: as task invocations, or in the
 * coordinator for a batch too small to be worth a fan-out.
 */
export class DataPlane {
  /** Map outputs of recent shuffles: held when tasks sent them back, else where their segments start. */
  private readonly outputs: MapOutputTracker;
  /** State and window partitions held between batches. */
  private readonly cache: PartitionCache;
  /** Input records of the last committed batch (before the first: too many to run here). */
  private lastRecords = Number.POSITIVE_INFINITY;

  constructor(
    private readonly options: CoordinatorOptions,
    private readonly retry: RetryPolicy,
    private readonly speculation: SpeculationPolicy,
    private readonly bus?: ListenerBus,
  ) {
    const holdBytes = (options.holdMb ?? DEFAULT_HOLD_MB) * 1024 * 1024;
    this.cache = new PartitionCache(options.store, Math.floor((holdBytes * 2) / 3));
    this.outputs = new MapOutputTracker(Math.floor(holdBytes / 3));
  }

  /** The runner of one batch, once its inputs are claimed. */
  runnerFor(
    time: number,
    manifest: BatchManifest,
    noteTransientWrite: (time: number) => void,
  ): BatchJobRunner {
    // What an earlier attempt of this batch left is not reused: the attempt's source reads, which the
    // commit records, went with it, and a batch commits only what its own tasks report.
    this.outputs.forgetFrom(time);
    this.cache.forgetFrom(time);
    const { graph, store, invoker, job } = this.options;
    // Ranges tasks resolve (Kinesis) have no count yet: the last batch's size predicts this one's.
    const planned = manifest.inputs.some((input) => input.ranges.some((range) => range.plan));
    const records = planned
      ? this.lastRecords
      : manifest.inputs.reduce((sum, input) => sum + input.records, 0);
    const threshold = this.options.smallBatchRecords ?? 0;
    const small = threshold > 0 && records <= threshold;
    const ranges = manifest.inputs.map((input) => [`${input.stream}@${time}`, input.ranges] as const);
    return new BatchJobRunner({
      job,
      zeroTime: graph.zeroTime,
      batchTime: time,
      store,
      invoker,
      retry: this.retry,
      speculation: this.speculation,
      exchange: { ...DEFAULT_EXCHANGE, ...this.options.exchange },
      recordErrors: graph.recordErrors,
      sleep: (ms) => sleep(ms),
      cache: this.cache,
      outputs: this.outputs,
      inputRanges: new Map(ranges),
      noteTransientWrite,
      placement: small ? 'coordinator' : 'tasks',
      bus: this.bus,
    });
  }

  /**
   * A batch committed with this many input records. What is held past the bound goes to the store now,
   * between batches, rather than grow until the coordinator runs out of memory.
   */
  async committed(records: number, noteTransientWrite: (time: number) => void): Promise<void> {
    this.lastRecords = records;
    // A spill that fails keeps the bytes held: the batch is committed, and the next commit tries again.
    await this.cache.bound(noteTransientWrite).catch(() => undefined);
  }

  /** Lets go of batch data before `time` (the cleaner deletes its stored copies). */
  forgetBefore(time: number): void {
    this.outputs.forgetBefore(time);
    this.cache.forgetBefore(time);
  }
}
