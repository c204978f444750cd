/**
 * One place of the worker pool: its worker thread, the task it runs, and the batcher of store replies on
 * their way to it. `openSlot` starts the worker and wires its events to the pool's handlers.
 */
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { serializeError } from '../util/errors';
import { MessageBatcher, type ParentMessage, type StoreReply, type WorkerMessage } from './worker-protocol';
import { startWorker } from './worker-start';

export interface PoolTask<Res> {
  id: number;
  request: unknown;
  resolve(response: Res): void;
  reject(error: unknown): void;
  onStart?: () => void;
  timer?: NodeJS.Timeout;
}

export interface Slot<Res> {
  index: number;
  worker: Worker;
  /** Kept because `worker.threadId` reads -1 once the worker has exited. */
  threadId: number;
  /** serveTasks has started listening. */
  ready: boolean;
  task?: PoolTask<Res>;
  /** The worker's uncaught exception, reported just before it exits. */
  crash?: unknown;
  /** Store replies on their way to the worker. */
  replies: MessageBatcher<StoreReply>;
}

export interface SlotHandlers<Res> {
  /** False once the pool has retired the slot: it then gets no more replies. */
  isLive(slot: Slot<Res>): boolean;
  onMessage(slot: Slot<Res>, message: WorkerMessage<Res>): void;
  onExit(slot: Slot<Res>, code: number): void;
  /** A message from the worker could not be read. */
  onMessageError(slot: Slot<Res>, error: unknown): void;
}

export function openSlot<Res>(
  index: number,
  script: string,
  options: WorkerOptions,
  handlers: SlotHandlers<Res>,
): Slot<Res> {
  const worker = startWorker(script, options);
  const slot: Slot<Res> = {
    index,
    worker,
    threadId: worker.threadId,
    ready: false,
    replies: new MessageBatcher<StoreReply>(
      (replies, transfer) => {
        // A worker retired meanwhile gets nothing.
        if (handlers.isLive(slot))
          worker.postMessage({ type: 'store-replies', replies } satisfies ParentMessage, transfer);
      },
      (reply, error) => {
        if (!handlers.isLive(slot)) return;
        const failed: StoreReply = { id: reply.id, ok: false, error: serializeError(error) };
        worker.postMessage({ type: 'store-replies', replies: [failed] } satisfies ParentMessage);
      },
    ),
  };
  worker.on('message', (message: WorkerMessage<Res>) => handlers.onMessage(slot, message));
  worker.on('error', (error) => {
    slot.crash = error;
  });
  worker.on('exit', (code) => handlers.onExit(slot, code));
  worker.on('messageerror', (error) => handlers.onMessageError(slot, error));
  return slot;
}
