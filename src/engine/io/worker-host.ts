/**
 * The worker side of WorkerPoolInvoker: a worker script calls serveTasks(handler) once. Tasks arrive
 * as plain data; the parent's Store is reached by RPC because it may live only in the parent's memory.
 */
import { type MessagePort, parentPort } from 'node:worker_threads';
import { RemoteError, serializeError } from '../util/errors';
import type { Store, StoreEntry, VersionedObject, WriteCondition } from './ports';
import {
  MessageBatcher,
  type ParentMessage,
  packBytes,
  type StoreCall,
  type StoreMethod,
  type StoreReply,
  type StoreResult,
  type TaskRequest,
  type WorkerMessage,
} from './worker-protocol';

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A Store whose every method runs on the parent's store; failures there reject with a RemoteError. */
export class RemoteStore implements Store {
  private nextId = 0;
  private readonly pending = new Map<number, PendingCall>();
  private readonly outbox: MessageBatcher<StoreCall>;

  constructor(port: MessagePort) {
    this.outbox = new MessageBatcher<StoreCall>(
      (calls, transfer) => port.postMessage({ type: 'store-calls', calls } satisfies WorkerMessage, transfer),
      // An argument structured clone cannot copy; nothing reached the parent.
      (call, error) => this.fail(call.id, error),
    );
  }

  put(key: string, body: Uint8Array): Promise<void> {
    const packed = packBytes(body);
    return this.call('put', [key, packed.bytes], packed.transfer);
  }

  putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    const packed = packBytes(body);
    return this.call('putIf', [key, packed.bytes, condition], packed.transfer);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.call('get', [key]);
  }

  getVersioned(key: string): Promise<VersionedObject | undefined> {
    return this.call('getVersioned', [key]);
  }

  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    return this.call('getRange', [key, start, end]);
  }

  has(key: string): Promise<boolean> {
    return this.call('has', [key]);
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.call('delete', [keys]);
  }

  list(prefix: string): Promise<StoreEntry[]> {
    return this.call('list', [prefix]);
  }

  /** Settles the calls a batch of parent replies answers. */
  receive(replies: readonly StoreReply[]): void {
    for (const reply of replies) this.settle(reply);
  }

  private fail(id: number, error: unknown): void {
    const call = this.pending.get(id);
    this.pending.delete(id);
    call?.reject(error);
  }

  private settle(reply: StoreReply): void {
    const call = this.pending.get(reply.id);
    if (!call) return;
    this.pending.delete(reply.id);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(new RemoteError(reply.error));
  }

  private call<M extends StoreMethod>(
    method: M,
    args: Parameters<Store[M]>,
    transfer: ArrayBuffer[] = [],
  ): Promise<StoreResult<M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.outbox.push({ id, method, args } as StoreCall, transfer);
    });
  }
}

/**
 * Serves tasks from the parent until the worker is terminated. Each task runs as soon as it arrives,
 * so the parent controls how many run at once in this worker.
 */
export function serveTasks<Req, Res>(handler: (request: Req, store: Store) => Promise<Res>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks must be called from a worker_threads worker script');
  const store = new RemoteStore(port);
  port.on('message', (message: ParentMessage<Req>) => {
    if (message.type === 'store-replies') store.receive(message.replies);
    else if (message.type === 'task') void runTask(port, message, handler, store);
  });
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);
}

async function runTask<Req, Res>(
  port: MessagePort,
  task: TaskRequest<Req>,
  handler: (request: Req, store: Store) => Promise<Res>,
  store: Store,
): Promise<void> {
  let response: Res;
  try {
    response = await handler(task.request, store);
  } catch (error) {
    postError(port, task.id, error);
    return;
  }
  try {
    port.postMessage({ type: 'task-response', id: task.id, response } satisfies WorkerMessage<Res>);
  } catch (error) {
    // The response holds something structured clone cannot copy, such as a function.
    postError(port, task.id, error);
  }
}

function postError(port: MessagePort, id: number, error: unknown): void {
  port.postMessage({ type: 'task-error', id, error: serializeError(error) } satisfies WorkerMessage);
}
