/**
 * Messages exchanged between a WorkerPoolInvoker (parent) and a worker running serveTasks. Everything
 * crosses postMessage by structured clone; task requests and responses are plain JSON-able data.
 */
import type { SerializedError } from '../util/errors';
import type { Store } from './ports';

export type StoreMethod = keyof Store;

/** What a store method resolves to, e.g. `Uint8Array | undefined` for `get`. */
export type StoreResult<M extends StoreMethod> = Awaited<ReturnType<Store[M]>>;

/** Worker → parent: run one Store method against the parent's store. */
export type StoreCall = {
  [M in StoreMethod]: { id: number; method: M; args: Parameters<Store[M]> };
}[StoreMethod];

/** Parent → worker: the outcome of a StoreCall with the same id. */
export type StoreReply =
  | { id: number; ok: true; value: StoreResult<StoreMethod> }
  | { id: number; ok: false; error: SerializedError };

/** Worker → parent: store calls made in one turn of the worker's event loop. */
export interface StoreCalls {
  type: 'store-calls';
  calls: StoreCall[];
}

/** Parent → worker: replies settled in one turn of the parent's event loop. */
export interface StoreReplies {
  type: 'store-replies';
  replies: StoreReply[];
}

/** Parent → worker: run the handler on `request`. */
export interface TaskRequest<Req = unknown> {
  type: 'task';
  id: number;
  request: Req;
}

/** Worker → parent: the handler resolved. */
export interface TaskResponse<Res = unknown> {
  type: 'task-response';
  id: number;
  response: Res;
}

/** Worker → parent: the handler rejected (or its result could not be sent). */
export interface TaskError {
  type: 'task-error';
  id: number;
  error: SerializedError;
}

/** Worker → parent: serveTasks is listening, so the worker may be given tasks. */
export interface Ready {
  type: 'ready';
}

export type ParentMessage<Req = unknown> = TaskRequest<Req> | StoreReplies;

export type WorkerMessage<Res = unknown> = Ready | TaskResponse<Res> | TaskError | StoreCalls;

/**
 * Gathers the items posted during one turn of the event loop and sends them as one message. A task
 * reading a shuffle asks for every map output at once; one message instead of one per read saves
 * most of the cost of crossing threads (clone, dispatch, wake-up) on both sides.
 */
export class MessageBatcher<T> {
  private items: T[] = [];
  private transfer: ArrayBuffer[] = [];
  private scheduled = false;

  /** `send` posts a batch; when it throws, each item is sent alone so that only a bad one fails. */
  constructor(
    private readonly send: (items: T[], transfer: ArrayBuffer[]) => void,
    private readonly failed: (item: T, error: unknown) => void,
  ) {}

  push(item: T, transfer: readonly ArrayBuffer[] = []): void {
    this.items.push(item);
    for (const buffer of transfer) this.transfer.push(buffer);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const items = this.items;
    const transfer = this.transfer;
    this.items = [];
    this.transfer = [];
    if (items.length === 0) return;
    try {
      this.send(items, transfer);
    } catch {
      for (const item of items) {
        try {
          this.send([item], []);
        } catch (error) {
          this.failed(item, error);
        }
      }
    }
  }
}

/**
 * Prepares bytes for postMessage. Structured clone copies a view's whole underlying buffer (a 10-byte
 * Buffer from Node's pool drags 8 KiB along, a getRange subarray drags the whole object) and shares a
 * SharedArrayBuffer, so such views are copied into a buffer of their own, which is then safe to transfer.
 * A view that already spans its own ArrayBuffer is cloned as is: it belongs to the caller, who may reuse it.
 */
export function packBytes(bytes: Uint8Array): { bytes: Uint8Array; transfer: ArrayBuffer[] } {
  const buffer = bytes.buffer;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) {
    return { bytes, transfer: [] };
  }
  const copy = new Uint8Array(bytes);
  return { bytes: copy, transfer: [copy.buffer] };
}

/** packBytes for any value that may be bytes (a store reply or argument list). */
export function packValue<T>(value: T): { value: T; transfer: ArrayBuffer[] } {
  if (!(value instanceof Uint8Array)) return { value, transfer: [] };
  const packed = packBytes(value);
  return { value: packed.bytes as T, transfer: packed.transfer };
}
