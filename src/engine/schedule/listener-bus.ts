/**
 * Everything that watches a job (printing batches, logs, metrics, the dashboard, tests) subscribes here,
 * as Spark's StreamingListener does: the coordinator and the tasks it launches post what happens, and a
 * watcher can never slow or break a batch. Listeners run synchronously in the order added; a listener
 * that throws (or whose promise rejects) is reported and the rest still run.
 */
import type { BatchManifest, StageManifest } from '../catalog';
import type { BatchInfo } from './batch-info';

export interface StreamingStarted {
  job: string;
  /** The coordinator's lease owner and epoch: a new epoch means another coordinator took over. */
  owner: string;
  epoch: number;
  zeroTime: number;
  batchMs: number;
  /** The first batch this coordinator runs (after the newest committed one). */
  nextBatchTime: number;
}

export interface BatchSubmitted {
  batchTime: number;
  /** Per input: records already read by the coordinator (0 for ranges tasks read themselves) and shards. */
  inputs: { name: string; records: number; shards: number }[];
}

export interface BatchCompleted {
  info: BatchInfo;
  /** The committed manifest: stages, tasks, recovery, requests. */
  manifest: BatchManifest;
}

export interface BatchFailed {
  batchTime: number;
  operator: string;
  error: Error;
  /** 0 for the first attempt of the batch. */
  attempt: number;
  /** Set when the batch will be retried after this wait; absent when the run gives up. */
  retryInMs?: number;
}

export interface StageCompleted {
  batchTime: number;
  stage: StageManifest;
}

export interface TaskFailed {
  batchTime: number;
  stage: string;
  operator: string;
  partition: number;
  /** 0 for the first attempt. */
  attempt: number;
  error: string;
  willRetry: boolean;
}

export interface SpeculativeTaskLaunched {
  batchTime: number;
  stage: string;
  operator: string;
  partition: number;
}

export interface CoordinatorNotice {
  message: string;
  batchTime?: number;
}

export interface StreamingStopped {
  job: string;
  /** `stopped`: asked to; `done`: ran the batches it was given; `failed`: a batch failed for good. */
  reason: 'stopped' | 'done' | 'failed';
  error?: Error;
}

/** Implement the events you need; every method is optional and may return a promise (not awaited). */
export interface StreamingListener {
  onStreamingStarted?(event: StreamingStarted): unknown;
  onBatchSubmitted?(event: BatchSubmitted): unknown;
  onBatchCompleted?(event: BatchCompleted): unknown;
  onBatchFailed?(event: BatchFailed): unknown;
  onStageCompleted?(event: StageCompleted): unknown;
  onTaskFailed?(event: TaskFailed): unknown;
  onSpeculativeTaskLaunched?(event: SpeculativeTaskLaunched): unknown;
  onCoordinatorNotice?(event: CoordinatorNotice): unknown;
  onStreamingStopped?(event: StreamingStopped): unknown;
}

export type ListenerEvent = keyof StreamingListener;
type EventOf<K extends ListenerEvent> = Parameters<NonNullable<StreamingListener[K]>>[0];

export class ListenerBus {
  private readonly listeners: StreamingListener[] = [];

  constructor(
    /** Where a failing listener is reported (default: stderr). */
    private readonly reportFailure: (event: ListenerEvent, error: unknown) => void = (event, error) =>
      process.stderr.write(
        `sluice: a streaming listener failed on ${event}: ${error instanceof Error ? error.message : String(error)}\n`,
      ),
  ) {}

  /** Adds a listener; the returned function removes it. */
  add(listener: StreamingListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  post<K extends ListenerEvent>(kind: K, event: EventOf<K>): void {
    for (const listener of [...this.listeners]) {
      const handler = listener[kind] as ((event: EventOf<K>) => unknown) | undefined;
      if (!handler) continue;
      try {
        const result = handler.call(listener, event);
        if (result instanceof Promise) result.catch((error) => this.reportFailure(kind, error));
      } catch (error) {
        this.reportFailure(kind, error);
      }
    }
  }
}

/** The bus of a coordinator: its listeners, with the `onBatch` and `log` shorthands as listeners too. */
export function busOf(options: {
  listeners?: readonly StreamingListener[];
  onBatch?: (info: BatchInfo) => void;
  log?: (line: string) => void;
}): ListenerBus {
  const bus = new ListenerBus();
  for (const listener of options.listeners ?? []) bus.add(listener);
  const { onBatch, log } = options;
  if (onBatch) bus.add({ onBatchCompleted: (event) => onBatch(event.info) });
  if (log) bus.add({ onCoordinatorNotice: (event) => log(event.message) });
  return bus;
}
