/**
 * An Invoker that runs tasks on worker_threads. Workers get only the serialized request and reach the
 * parent's Store over message-passing RPC (see worker-host.ts), so an in-memory store works too.
 */
import path from 'node:path';
import { type ResourceLimits, Worker, type WorkerOptions } from 'node:worker_threads';
import { toMillis } from '../util/duration';
import { ConfigError, RemoteError, serializeError } from '../util/errors';
import { InvokeCancelledError, InvokeError } from './errors';
import type { InvokeOptions, Invoker, Store } from './ports';
import { bundledWorkerScript } from './worker-bundle';
import {
  MessageBatcher,
  type ParentMessage,
  packValue,
  type StoreCall,
  type StoreMethod,
  type StoreReply,
  type StoreResult,
  type TaskRequest,
  type WorkerMessage,
} from './worker-protocol';

export interface WorkerPoolOptions {
  /** Worker entry file calling serveTasks; a `.ts` file is loaded through tsx. */
  script: string;
  workers: number;
  /** The store workers read and write by RPC. */
  store: Store;
  workerData?: unknown;
  /** A running task is rejected after this long and its worker replaced. */
  taskTimeoutMs?: number;
  resourceLimits?: ResourceLimits;
}

interface Task<Res> {
  id: number;
  request: unknown;
  resolve(response: Res): void;
  reject(error: unknown): void;
  onStart?: () => void;
  timer?: NodeJS.Timeout;
}

interface Slot<Res> {
  index: number;
  worker: Worker;
  /** Kept because `worker.threadId` reads -1 once the worker has exited. */
  threadId: number;
  /** serveTasks has started listening. */
  ready: boolean;
  task?: Task<Res>;
  /** The worker's uncaught exception, reported just before it exits. */
  crash?: unknown;
  /** Store replies on their way to the worker. */
  replies: MessageBatcher<StoreReply>;
}

export class WorkerPoolInvoker<Req, Res> implements Invoker<Req, Res> {
  readonly parallelism: number;
  private readonly script: string;
  private readonly store: Store;
  private readonly workerOptions: WorkerOptions;
  private readonly taskTimeoutMs: number | undefined;
  /** Live workers by index; an entry is cleared as soon as its worker is dead or being retired. */
  private readonly slots: (Slot<Res> | undefined)[];
  private readonly queue: Task<Res>[] = [];
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
      const task: Task<Res> = { id: this.nextTaskId++, request, resolve, reject, onStart: options?.onStart };
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
    const worker = startWorker(this.script, this.workerOptions);
    const slot: Slot<Res> = {
      index,
      worker,
      threadId: worker.threadId,
      ready: false,
      replies: new MessageBatcher<StoreReply>(
        (replies, transfer) => {
          // A worker retired meanwhile gets nothing.
          if (this.isLive(slot))
            worker.postMessage({ type: 'store-replies', replies } satisfies ParentMessage, transfer);
        },
        (reply, error) => {
          if (!this.isLive(slot)) return;
          const failed: StoreReply = { id: reply.id, ok: false, error: serializeError(error) };
          worker.postMessage({ type: 'store-replies', replies: [failed] } satisfies ParentMessage);
        },
      ),
    };
    worker.on('message', (message: WorkerMessage<Res>) => this.onMessage(slot, message));
    worker.on('error', (error) => {
      slot.crash = error;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    worker.on('messageerror', (error) => {
      // A reply we cannot read would leave its task hanging; fail it and start afresh.
      const failure = new InvokeError(`a message from worker ${index} could not be read`, this.about(slot), {
        cause: error,
      });
      this.replace(slot, failure);
    });
    return slot;
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

  private dispatch(slot: Slot<Res>, task: Task<Res>): void {
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
        for (const call of message.calls) void this.serveStoreCall(slot, call);
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

  private completeTask(slot: Slot<Res>): Task<Res> {
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

  private async serveStoreCall(slot: Slot<Res>, call: StoreCall): Promise<void> {
    try {
      const packed = packValue(await callStore(this.store, call));
      slot.replies.push({ id: call.id, ok: true, value: packed.value }, packed.transfer);
    } catch (error) {
      slot.replies.push({ id: call.id, ok: false, error: serializeError(error) });
    }
  }

  private isLive(slot: Slot<Res>): boolean {
    return this.slots[slot.index] === slot;
  }

  private about(slot?: Slot<Res>): Record<string, unknown> {
    if (!slot) return { script: this.script };
    return { script: this.script, worker: slot.index, threadId: slot.threadId };
  }
}

function callStore(store: Store, call: StoreCall): Promise<StoreResult<StoreMethod>> {
  switch (call.method) {
    case 'put':
      return store.put(...call.args);
    case 'putIf':
      return store.putIf(...call.args);
    case 'get':
      return store.get(...call.args);
    case 'getVersioned':
      return store.getVersioned(...call.args);
    case 'getRange':
      return store.getRange(...call.args);
    case 'has':
      return store.has(...call.args);
    case 'delete':
      return store.delete(...call.args);
    case 'list':
      return store.list(...call.args);
  }
}

/**
 * `.ts` entry files run from an esbuild bundle (see worker-bundle.ts); tsx is still registered, through
 * its CommonJS hook (`--import tsx` in execArgv does not cover eval'd workers), for what the worker loads
 * at run time, such as a TypeScript job module. Without a bundle the script itself goes through tsx.
 */
function startWorker(script: string, given: WorkerOptions): Worker {
  // The environment as this module sees it (a test runner may give modules their own copy).
  const options = { env: process.env, ...given };
  if (!script.endsWith('.ts')) return new Worker(script, options);
  const entry = bundledWorkerScript(script) ?? script;
  const source =
    `require(${JSON.stringify(resolveTsx())}).register(); ` +
    `process.setSourceMapsEnabled(true); require(${JSON.stringify(entry)});`;
  return new Worker(source, { ...options, eval: true });
}

function resolveTsx(): string {
  try {
    // Resolved here rather than in the worker, whose eval'd code resolves from the working directory.
    return require.resolve('tsx/cjs/api');
  } catch (error) {
    throw new ConfigError('running a .ts worker script needs the tsx package', {}, { cause: error });
  }
}
