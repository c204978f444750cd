import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryStore } from '../../src/engine/io/memory-store';
import { WorkerPoolInvoker } from '../../src/engine/io/worker-pool';
import { MessageBatcher } from '../../src/engine/io/worker-protocol';

/** Resolves after the batcher's flush for everything pushed before it (setImmediate runs in order). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function recorder(throwsFor: (items: string[]) => Error | undefined = () => undefined) {
  const sends: { items: string[]; transfer: ArrayBuffer[] }[] = [];
  const failures: { item: string; error: unknown }[] = [];
  const batcher = new MessageBatcher<string>(
    (items, transfer) => {
      sends.push({ items: [...items], transfer: [...transfer] });
      const error = throwsFor(items);
      if (error) throw error;
    },
    (item, error) => failures.push({ item, error }),
  );
  return { batcher, sends, failures };
}

describe('MessageBatcher', () => {
  it('sends the items pushed in one turn as one batch, in order, with their transfer lists concatenated', async () => {
    const { batcher, sends, failures } = recorder();
    const [a, b, c] = [new ArrayBuffer(1), new ArrayBuffer(2), new ArrayBuffer(3)];
    batcher.push('first', [a]);
    batcher.push('second');
    batcher.push('third', [b, c]);
    expect(sends).toEqual([]);

    await nextTurn();

    expect(sends).toHaveLength(1);
    expect(sends[0].items).toEqual(['first', 'second', 'third']);
    expect(sends[0].transfer).toHaveLength(3);
    sends[0].transfer.forEach((buffer, i) => {
      expect(buffer).toBe([a, b, c][i]);
    });
    expect(failures).toEqual([]);
  });

  it('sends items pushed in a later turn in a later batch', async () => {
    const { batcher, sends } = recorder();
    const late = new ArrayBuffer(4);
    batcher.push('a');
    batcher.push('b');
    await nextTurn();
    batcher.push('c', [late]);
    await nextTurn();
    await nextTurn();

    expect(sends.map((s) => s.items)).toEqual([['a', 'b'], ['c']]);
    expect(sends[0].transfer).toEqual([]);
    expect(sends[1].transfer[0]).toBe(late);
  });

  it('sends nothing in a turn in which nothing was pushed', async () => {
    const { batcher, sends } = recorder();
    batcher.push('only');
    await nextTurn();
    await nextTurn();
    await nextTurn();
    expect(sends.map((s) => s.items)).toEqual([['only']]);
  });

  it('holds items pushed while a batch is being sent for the next turn', async () => {
    const sends: string[][] = [];
    const batcher: MessageBatcher<string> = new MessageBatcher<string>(
      (items) => {
        sends.push([...items]);
        if (items.includes('trigger')) batcher.push('pushed during send');
      },
      () => undefined,
    );
    batcher.push('trigger');
    await nextTurn();
    expect(sends).toEqual([['trigger']]);
    await nextTurn();
    expect(sends).toEqual([['trigger'], ['pushed during send']]);
  });

  it('retries each item of a batch that could not be sent alone, and fails only the item whose own send throws', async () => {
    const bad = new Error('could not be cloned');
    const { batcher, sends, failures } = recorder((items) =>
      items.length > 1 ? new Error('batch rejected') : items[0] === 'bad' ? bad : undefined,
    );
    batcher.push('one', [new ArrayBuffer(1)]);
    batcher.push('bad');
    batcher.push('three');

    await nextTurn();

    expect(sends.map((s) => s.items)).toEqual([['one', 'bad', 'three'], ['one'], ['bad'], ['three']]);
    expect(failures).toHaveLength(1);
    expect(failures[0].item).toBe('bad');
    expect(failures[0].error).toBe(bad);
  });

  it('keeps batching after a failed batch', async () => {
    const { batcher, sends, failures } = recorder((items) =>
      items.includes('bad') ? new Error('no') : undefined,
    );
    batcher.push('bad');
    batcher.push('fine');
    await nextTurn();
    batcher.push('later-1');
    batcher.push('later-2');
    await nextTurn();

    expect(failures.map((f) => f.item)).toEqual(['bad']);
    expect(sends.map((s) => s.items)).toEqual([['bad', 'fine'], ['bad'], ['fine'], ['later-1', 'later-2']]);
  });
});

describe('store calls of a worker task through WorkerPoolInvoker', () => {
  // A worker script of its own, written for this file: the shared fixture has no task that makes
  // many store calls at once.
  type Request = { op: 'many' | 'uncloneable'; n: number; prefix: string };
  const workerHost = path.resolve(__dirname, '../../src/engine/io/worker-host.ts');
  let dir: string;
  let script: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sluice-batcher-'));
    script = path.join(dir, 'concurrent-store-worker.ts');
    writeFileSync(
      script,
      `import { serveTasks } from ${JSON.stringify(workerHost)};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

serveTasks(async (request: { op: string; n: number; prefix: string }, store) => {
  const keys = Array.from({ length: request.n }, (_, i) => request.prefix + String(i).padStart(4, '0'));
  if (request.op === 'many') {
    // Every call of a step in one turn: they travel in one batch each way.
    await Promise.all(
      keys.map((key, i) => {
        // Odd keys are written from a view into a larger buffer, which is copied and transferred.
        const bytes = encoder.encode('<' + key + ':' + i * i + '>');
        return store.put(key, i % 2 ? bytes.subarray(1, bytes.length - 1) : bytes);
      }),
    );
    const [values, heads, present, listed] = await Promise.all([
      Promise.all(keys.map(async (key) => decoder.decode(await store.get(key)))),
      Promise.all(keys.map(async (key) => decoder.decode(await store.getRange(key, 0, 6)))),
      Promise.all(keys.map((key) => store.has(key + '/absent'))),
      store.list(request.prefix),
    ]);
    await Promise.all(keys.filter((_, i) => i % 3 === 0).map((key) => store.delete([key])));
    const left = await Promise.all(keys.map((key) => store.has(key)));
    return { values, heads, present, listed: listed.length, left };
  }
  // One call in the batch carries an argument structured clone cannot copy.
  const settled = await Promise.allSettled([
    store.get(keys[0]),
    store.list((() => 'not data') as unknown as string),
    store.has(keys[1]),
  ]);
  return settled.map((s) =>
    s.status === 'fulfilled'
      ? { ok: true, value: s.value instanceof Uint8Array ? decoder.decode(s.value) : s.value }
      : { ok: false, name: (s.reason as Error).name },
  );
});
`,
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every one of many concurrent store reads and writes of a task correctly', async () => {
    const store = new MemoryStore();
    const pool = new WorkerPoolInvoker<Request, any>({ script, workers: 2, store });
    try {
      // Two such tasks at once, one per worker, on keys of their own.
      const sizes = { 'a/': 300, 'b/': 120 };
      const results = await Promise.all(
        Object.entries(sizes).map(([prefix, n]) => pool.invoke({ op: 'many', n, prefix })),
      );
      const decoder = new TextDecoder();
      for (const [index, [prefix, n]] of Object.entries(sizes).entries()) {
        const result = results[index];
        const expected = Array.from({ length: n }, (_, i) => {
          const key = `${prefix}${String(i).padStart(4, '0')}`;
          return i % 2 ? `${key}:${i * i}` : `<${key}:${i * i}>`;
        });
        expect(result.values).toEqual(expected);
        expect(result.heads).toEqual(expected.map((v) => v.slice(0, 6)));
        expect(result.present).toEqual(Array(n).fill(false));
        expect(result.listed).toBe(n);
        expect(result.left).toEqual(Array.from({ length: n }, (_, i) => i % 3 !== 0));
        // What the worker wrote is in the parent's store, byte for byte.
        expect(decoder.decode(await store.get(`${prefix}0001`))).toBe(expected[1]);
        expect(decoder.decode(await store.get(`${prefix}0002`))).toBe(expected[2]);
        expect(await store.has(`${prefix}0003`)).toBe(false);
      }
    } finally {
      await pool.close();
    }
  });

  it('rejects only the store call whose arguments cannot be sent, not the calls sent with it', async () => {
    const store = new MemoryStore();
    await store.put('k/0000', new TextEncoder().encode('zero'));
    const pool = new WorkerPoolInvoker<Request, any>({ script, workers: 1, store });
    try {
      expect(await pool.invoke({ op: 'uncloneable', n: 2, prefix: 'k/' })).toEqual([
        { ok: true, value: 'zero' },
        { ok: false, name: 'DataCloneError' },
        { ok: true, value: false },
      ]);
    } finally {
      await pool.close();
    }
  });
});
