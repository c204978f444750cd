import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvokeError, StoreError } from '../../src/engine/io/errors';
import { MemoryStore } from '../../src/engine/io/memory-store';
import { WorkerPoolInvoker, type WorkerPoolOptions } from '../../src/engine/io/worker-pool';
import { ConfigError, RemoteError } from '../../src/engine/util/errors';
import type { FixtureRequest } from './fixtures/tasks';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const pools: WorkerPoolInvoker<FixtureRequest, any>[] = [];

function createPool(options: Partial<WorkerPoolOptions> = {}): WorkerPoolInvoker<FixtureRequest, any> {
  const pool = new WorkerPoolInvoker<FixtureRequest, any>({
    script: fixture('tasks.ts'),
    workers: 1,
    store: new MemoryStore(),
    ...options,
  });
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

/** Hands out one shared buffer (and views into it) instead of copies, as a zero-copy store might. */
class SharingStore extends MemoryStore {
  readonly shared = encoder.encode('shared bytes');

  override async get(key: string): Promise<Uint8Array | undefined> {
    return key === 'shared' ? this.shared : super.get(key);
  }

  override async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    return key === 'shared' ? this.shared.subarray(start, end) : super.getRange(key, start, end);
  }
}

class FailingStore extends MemoryStore {
  override async get(key: string): Promise<Uint8Array | undefined> {
    throw new StoreError('disk on fire', { key });
  }
}

describe('WorkerPoolInvoker', () => {
  it('runs a task on a worker thread and returns its result', async () => {
    const pool = createPool({ workers: 2 });
    expect(pool.parallelism).toBe(2);
    const result = await pool.invoke({ op: 'double', value: 21 });
    expect(result.doubled).toBe(42);
    expect(result.threadId).toBeGreaterThan(0);
  });

  it('queues more tasks than workers and completes all of them', async () => {
    const pool = createPool({ workers: 2 });
    const values = [1, 2, 3, 4, 5, 6, 7];
    const results = await Promise.all(values.map((value) => pool.invoke({ op: 'double', value })));
    expect(results.map((result) => result.doubled)).toEqual([2, 4, 6, 8, 10, 12, 14]);
  });

  it('passes workerData through to the worker', async () => {
    const pool = createPool({ workerData: { region: 'eu', shards: [1, 2] } });
    expect(await pool.invoke({ op: 'workerData' })).toEqual({ region: 'eu', shards: [1, 2] });
  });

  it('starts a .js worker script directly', async () => {
    const pool = createPool({ script: fixture('tasks.js') });
    expect((await pool.invoke({ op: 'double', value: 4 })).doubled).toBe(8);
  });

  it("lets workers read and write the parent's in-memory store", async () => {
    const store = new MemoryStore();
    await store.put('in/a', encoder.encode('hello'));
    const pool = createPool({ store });

    const result = await pool.invoke({ op: 'copy', from: 'in/a', to: 'out/a' });

    expect(result).toEqual({ found: true, head: 'HEL' });
    expect(decoder.decode(await store.get('out/a'))).toBe('HELLO');
    expect(await store.has('in/a')).toBe(false);
    expect(await pool.invoke({ op: 'list', prefix: 'out/' })).toMatchObject([{ key: 'out/a', size: 5 }]);
    expect(await pool.invoke({ op: 'copy', from: 'in/missing', to: 'x' })).toEqual({
      found: false,
      missing: false,
    });
  });

  it('stores only the viewed bytes when a worker puts a subarray', async () => {
    const store = new MemoryStore();
    const pool = createPool({ store });
    await pool.invoke({ op: 'putView', key: 'view' });
    expect(decoder.decode(await store.get('view'))).toBe('view');
  });

  it("never detaches the store's own buffers when sending them to a worker", async () => {
    const store = new SharingStore();
    const pool = createPool({ store });
    const result = await pool.invoke({ op: 'read', key: 'shared', start: 7, end: 12 });
    expect(result).toEqual({ whole: 'shared bytes', range: 'bytes' });
    expect(decoder.decode(store.shared)).toBe('shared bytes');
  });

  it("rejects a worker's store call when the parent's store fails", async () => {
    const pool = createPool({ store: new FailingStore() });
    const error = await pool.invoke({ op: 'copy', from: 'in/a', to: 'out/a' }).catch((e) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.message).toBe('disk on fire');
    expect(error.context).toEqual({ key: 'in/a' });
  });

  it("rejects with a RemoteError keeping the task error's name, message, context, stack and cause", async () => {
    const pool = createPool();
    const error = await pool.invoke({ op: 'throw' }).catch((e) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.remoteName).toBe('ConfigError');
    expect(error.message).toBe('bad partition count');
    expect(error.context).toEqual({ partitions: -1 });
    expect(error.stack).toContain('tasks.ts');
    expect(error.cause).toBeInstanceOf(RemoteError);
    expect(error.cause.remoteName).toBe('RangeError');
    expect(error.cause.message).toBe('negative');
    // A failed task leaves its worker usable.
    expect((await pool.invoke({ op: 'double', value: 1 })).doubled).toBe(2);
  });

  it('rejects the running task when user code calls process.exit, and replaces the worker', async () => {
    const pool = createPool();
    const before = await pool.invoke({ op: 'double', value: 1 });

    const error = await pool.invoke({ op: 'exit', code: 3 }).catch((e) => e);
    expect(error).toBeInstanceOf(InvokeError);
    expect(error.message).toBe('worker 0 exited with code 3 while running a task');
    expect(error.context.exitCode).toBe(3);

    const after = await pool.invoke({ op: 'double', value: 2 });
    expect(after.doubled).toBe(4);
    expect(after.threadId).not.toBe(before.threadId);
  });

  it('reports an uncaught exception in the worker as the cause of the exit', async () => {
    const pool = createPool();
    const error = await pool.invoke({ op: 'crash' }).catch((e) => e);
    expect(error).toBeInstanceOf(InvokeError);
    expect(error.message).toMatch(/^worker 0 exited with code 1 while running a task/);
    expect(error.cause.message).toBe('uncaught in worker');
    expect((await pool.invoke({ op: 'double', value: 5 })).doubled).toBe(10);
  });

  it('rejects the running task when its worker runs out of memory, and replaces the worker', async () => {
    const pool = createPool({ resourceLimits: { maxOldGenerationSizeMb: 64 } });
    const error = await pool.invoke({ op: 'oom' }).catch((e) => e);
    expect(error).toBeInstanceOf(InvokeError);
    expect(error.message).toMatch(/^worker 0 exited with code \d+ while running a task/);
    expect(error.cause.code).toBe('ERR_WORKER_OUT_OF_MEMORY');
    expect((await pool.invoke({ op: 'double', value: 8 })).doubled).toBe(16);
  });

  it('rejects a task that exceeds taskTimeoutMs and keeps serving on a fresh worker', async () => {
    const pool = createPool({ taskTimeoutMs: 300 });
    const hung = pool.invoke({ op: 'hang' });
    const queued = pool.invoke({ op: 'double', value: 3 });

    const error = await hung.catch((e) => e);

    expect(error).toBeInstanceOf(InvokeError);
    expect(error.message).toBe('task timed out after 300ms on worker 0');
    expect((await queued).doubled).toBe(6);
    expect((await pool.invoke({ op: 'double', value: 7 })).doubled).toBe(14);
  });

  it('runs tasks on different workers at the same time', async () => {
    const store = new MemoryStore();
    const pool = createPool({ workers: 2, store });
    // Each task waits until the other has started, so they can only both succeed if they overlap.
    const [a, b] = await Promise.all([
      pool.invoke({ op: 'meet', self: 'a', other: 'b', waitMs: 10_000 }),
      pool.invoke({ op: 'meet', self: 'b', other: 'a', waitMs: 10_000 }),
    ]);
    expect(a.met).toBe(true);
    expect(b.met).toBe(true);
    expect(a.threadId).not.toBe(b.threadId);
  });

  it('runs one task at a time on each worker', async () => {
    const pool = createPool({ workers: 1 });
    const [a, b] = await Promise.all([
      pool.invoke({ op: 'meet', self: 'a', other: 'b', waitMs: 200 }),
      pool.invoke({ op: 'meet', self: 'b', other: 'a', waitMs: 200 }),
    ]);
    // The first task gives up waiting for the second, which only starts once the first has finished.
    expect(a.met).toBe(false);
    expect(b.met).toBe(true);
  });

  it('rejects running and queued tasks on close, and every invoke after it', async () => {
    const pool = createPool();
    await pool.invoke({ op: 'double', value: 1 }); // the worker is up, so the next task starts at once
    const running = pool.invoke({ op: 'hang' }).catch((e) => e);
    const queued = pool.invoke({ op: 'double', value: 1 }).catch((e) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));

    await pool.close();

    expect((await running).message).toBe('worker pool closed while the task was running');
    expect((await queued).message).toBe('worker pool closed before the task started');
    await expect(pool.invoke({ op: 'double', value: 1 })).rejects.toThrow('worker pool is closed');
    await expect(pool.close()).resolves.toBeUndefined();
  });

  it('rejects queued tasks when the worker script cannot start, without restarting it forever', async () => {
    const pool = createPool({ script: fixture('broken.ts'), workers: 2 });
    const error = await pool.invoke({ op: 'double', value: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(InvokeError);
    expect(error.message).toMatch(/^worker \d failed to start/);
    expect(error.cause.message).toBe('fixture failed to load');
    // The next invoke tries again, and fails the same way rather than hanging.
    await expect(pool.invoke({ op: 'double', value: 1 })).rejects.toThrow(/failed to start/);
  });

  it('refuses a pool without workers', () => {
    expect(() => createPool({ workers: 0 })).toThrow(ConfigError);
    expect(() => createPool({ taskTimeoutMs: -5 })).toThrow(ConfigError);
  });

  it.each([
    ['closed', 'close'],
    ['left idle', 'idle'],
  ])('lets the process exit once the pool is %s', async (_, mode) => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture('pool-then-exit.ts'), mode], {
      timeout: 20000,
    });
    expect(stdout.trim()).toBe('doubled 42');
  });
});
