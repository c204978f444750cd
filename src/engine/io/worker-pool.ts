/**
 * An Invoker that runs tasks on worker_threads. Workers get only the serialized request and reach the
 * parent's Store over message-passing RPC (see worker-host.ts), so an in-memory store works too.
 */
import path from 'node:path';
import type { ResourceLimits, WorkerOptions } from 'node:worker_threads';
import { toMillis } from '../util/duration';
import { ConfigError, RemoteError } from '../util/errors';
import { InvokeCancelledError, InvokeError } from './errors';
import type { InvokeOptions, Invoker, Store } from './ports';
import type { TaskRequest, WorkerMessage } from './worker-protocol';
import { openSlot, type PoolTask, type Slot } from './worker-slot';
import { answerStoreCall } from './worker-store-calls';

export interface WorkerPoolOptions {
  /** Worker entry file calling serveTasks; a `.ts` file is loaded through tsx. */
  script: string;
  workers: number;
  /** The store workers read and write by RPC. */
  store: Store;
  workerData?: unknown;
  /** A running task is rejected after this long and its worker replaced. */
  taskTimeoutMs?: number;
  /** Default: a young generation of 192 MB (see worker-start.ts). */
  resourceLimits?: ResourceLimits;
}

export class WorkerPoolInvoker<Req, Res> implements Invoker<Req, Res> {
  readonly parallelism: number;
  private readonly script: string;
  private readonly store: Store;
  private readonly workerOptions: WorkerOptions;
  private readonly taskTimeoutMs: number | undefined;
  /** Live workers by index; an entry is cleared as soon as its worker is dead or being retired. */
  private readonly slots: (Slot<Res> | undefined)[];
  private readonly queue: PoolTask<Res>[] = [];
  /** Terminations in progress, so close() can wait for them. */
  private readonly retiring = new Set<Promise<unknown>>();
  private nextTaskId = 0;
  private closing: Promise<void> | undefined;

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new ConfigError(`workers must be a positive integer, got ${options.workers}`, {
        workers: options.workers,
      });
    }
    this.parallelism = options.workers;
    this.script = path.resolve(options.script);
    this.store = options.store;
    this.workerOptions = { workerData: options.workerData, resourceLimits: options.resourceLimits };
    this.taskTimeoutMs =
      options.taskTimeoutMs === undefined ? undefined : toMillis(options.taskTimeoutMs, 'taskTimeoutMs');
    this.slots = new Array(options.workers).fill(undefined);
    this.fill();
  }

  invoke(request: Req, options?: InvokeOptions): Promise<Res> {
    if (this.closing) {
      return Promise.reject(new InvokeError('worker pool is closed', { script: this.script }));
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(this.cancelled());
    return new Promise<Res>((resolve, reject) => {
      const task: PoolTask<Res> = {
        id: this.nextTaskId++,
        request,
        resolve,
        reject,
        onStart: options?.onStart,
      };
      this.queue.push(task);
      signal?.addEventListener(
        'abort',
        () => {
          const queued = this.queue.indexOf(task);
          if (queued < 0) return; // already running: let it finish
          this.queue.splice(queued, 1);
          reject(this.cancelled());
        },
        { once: true },
      );
      this.fill();
      this.pump();
    });
  }

  private cancelled(): InvokeCancelledError {
    return new InvokeCancelledError('task cancelled before it started: its result is no longer needed', {
      script: this.script,
    });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const task of this.queue.splice(0)) {
      task.reject(new InvokeError('worker pool closed before the task started', { script: this.script }));
    }
    for (const slot of this.slots) {
      if (!slot) continue;
      this.retire(slot);
      if (slot.task) {
        this.failTask(
          slot,
          new InvokeError('worker pool closed while the task was running', this.about(slot)),
        );
      }
    }
    await Promise.all(this.retiring);
  }

  /** Starts a worker in every empty slot. */
  private fill(): void {
    if (this.closing) return;
    for (let index = 0; index < this.slots.length; index++) {
      if (this.slots[index]) continue;
      try {
        this.slots[index] = this.spawn(index);
      } catch (error) {
        this.failQueueIfStranded(
          new InvokeError(`worker ${index} could not be started`, this.about(), { cause: error }),
        );
      }
    }
  }

  private spawn(index: number): Slot<Res> {
    return openSlot<Res>(index, this.script, this.workerOptions, {
      isLive: (slot) => this.isLive(slot),
      onMessage: (slot, message) => this.onMessage(slot, message),
      onExit: (slot, code) => this.onExit(slot, code),
      onMessageError: (slot, error) => {
        // A reply we cannot read would leave its task hanging; fail it and start afresh.
        const failure = new InvokeError(
          `a message from worker ${slot.index} could not be read`,
          this.about(slot),
          { cause: error },
        );
        this.replace(slot, failure);
      },
    });
  }

  /** Gives queued tasks to idle workers, and lets idle workers stop keeping the process alive. */
  private pumpScheduled = false;

  /**
   * Hands out queued tasks once the settled task's callers have reacted: when a speculated task's
   * original finishes, its backup queued right behind it is cancelled before it could take the slot.
   */
  private pumpSoon(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot?.ready) continue;
      if (!slot.task && this.queue.length > 0) this.dispatch(slot, this.queue.shift()!);
      if (slot.task) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  private dispatch(slot: Slot<Res>, task: PoolTask<Res>): void {
    const message: TaskRequest = { type: 'task', id: task.id, request: task.request };
    try {
      slot.worker.postMessage(message);
    } catch (error) {
      task.reject(
        new InvokeError(
          'task request could not be sent to a worker: it must be plain data',
          this.about(slot),
          {
            cause: error,
          },
        ),
      );
      return;
    }
    slot.task = task;
    task.onStart?.();
    if (this.taskTimeoutMs !== undefined) {
      const ms = this.taskTimeoutMs;
      task.timer = setTimeout(() => {
        const failure = new InvokeError(`task timed out after ${ms}ms on worker ${slot.index}`, {
          ...this.about(slot),
          taskTimeoutMs: ms,
        });
        this.replace(slot, failure);
      }, ms);
    }
  }

  private onMessage(slot: Slot<Res>, message: WorkerMessage<Res>): void {
    if (!this.isLive(slot)) return; // a retired worker's late replies and store writes are dropped
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        this.pump();
        return;
      case 'store-calls':
        for (const call of message.calls) void answerStoreCall(this.store, call, slot.replies);
        return;
      case 'task-response':
        if (slot.task?.id !== message.id) return;
        this.completeTask(slot).resolve(message.response);
        this.pumpSoon();
        return;
      case 'task-error':
        if (slot.task?.id !== message.id) return;
        this.completeTask(slot).reject(new RemoteError(message.error));
        this.pumpSoon();
        return;
    }
  }

  private onExit(slot: Slot<Res>, code: number): void {
    if (!this.isLive(slot)) return;
    this.slots[slot.index] = undefined;
    if (slot.task) {
      const failure = new InvokeError(
        `worker ${slot.index} exited with code ${code} while running a task`,
        { ...this.about(slot), exitCode: code },
        { cause: slot.crash },
      );
      this.failTask(slot, failure);
      this.fill();
    } else if (!slot.ready) {
      // Not respawned here: a script that cannot start would otherwise be restarted forever.
      const failure = new InvokeError(
        `worker ${slot.index} failed to start: exited with code ${code} before calling serveTasks`,
        { ...this.about(slot), exitCode: code },
        { cause: slot.crash },
      );
      this.failQueueIfStranded(failure);
    }
    // An idle worker that exits is replaced by the next invoke's fill().
  }

  /** Fails the slot's task, terminates its worker and starts another in its place. */
  private replace(slot: Slot<Res>, failure: InvokeError): void {
    if (!this.isLive(slot)) return;
    this.retire(slot);
    if (slot.task) this.failTask(slot, failure);
    this.fill();
    this.pump();
  }

  private retire(slot: Slot<Res>): void {
    this.slots[slot.index] = undefined;
    const exited = slot.worker.terminate().catch(() => undefined);
    this.retiring.add(exited);
    void exited.then(() => this.retiring.delete(exited));
  }

  private completeTask(slot: Slot<Res>): PoolTask<Res> {
    const task = slot.task!;
    clearTimeout(task.timer);
    slot.task = undefined;
    return task;
  }

  private failTask(slot: Slot<Res>, error: unknown): void {
    this.completeTask(slot).reject(error);
  }

  /** Queued tasks would wait forever when no worker is alive to take them. */
  private failQueueIfStranded(error: InvokeError): void {
    if (this.slots.some((slot) => slot !== undefined)) return;
    for (const task of this.queue.splice(0)) task.reject(error);
  }

  private isLive(slot: Slot<Res>): boolean {
    return this.slots[slot.index] === slot;
  }

  private about(slot?: Slot<Res>): Record<string, unknown> {
    if (!slot) return { script: this.script };
    return { script: this.script, worker: slot.index, threadId: slot.threadId };
  }
}
