import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { InvokeCancelledError, InvokeError } from '../../src/engine/io/errors';
import { InProcessInvoker } from '../../src/engine/io/in-process-invoker';
import { LambdaInvoker, type LambdaSender } from '../../src/engine/io/lambda-invoker';
import { MemoryStore } from '../../src/engine/io/memory-store';
import { WorkerPoolInvoker } from '../../src/engine/io/worker-pool';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** How a promise stands once every microtask queued so far has run (a rejection "at once" has landed). */
async function stateOf(promise: Promise<unknown>): Promise<{ state: string; value?: unknown }> {
  const settled = promise.then(
    (value) => ({ state: 'resolved', value }),
    (value) => ({ state: 'rejected', value }),
  );
  const pending = new Promise<{ state: string }>((resolve) =>
    setImmediate(() => resolve({ state: 'pending' })),
  );
  return Promise.race([settled, pending]);
}

/** Resolves once `condition` holds, polling on the event loop (no fixed delay to tune). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 5));
}

describe('InProcessInvoker cancellation (concurrency 1)', () => {
  function gatedInvoker() {
    const ran: string[] = [];
    const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();
    const gate = (name: string) => {
      if (!gates.has(name)) gates.set(name, deferred());
      return gates.get(name)!;
    };
    const invoker = new InProcessInvoker<{ name: string; wait?: boolean }, string>(async (request) => {
      ran.push(request.name);
      if (request.wait) await gate(request.name).promise;
      return `${request.name} done`;
    }, 1);
    return { invoker, ran, release: (name: string) => gate(name).resolve() };
  }

  it('drops a queued task whose signal aborts: it never runs, rejects with InvokeCancelledError, and the running one completes', async () => {
    const { invoker, ran, release } = gatedInvoker();
    const running = invoker.invoke({ name: 'a', wait: true });
    const cancel = new AbortController();
    const onStart = jest.fn();
    const queued = invoker.invoke({ name: 'b' }, { signal: cancel.signal, onStart });
    await until(() => ran.length === 1);

    cancel.abort();
    const error = await queued.catch((e) => e);
    expect(error).toBeInstanceOf(InvokeCancelledError);
    expect(error).toBeInstanceOf(InvokeError);

    release('a');
    await expect(running).resolves.toBe('a done');
    // The slot is free again: a later task runs, and the dropped one never did.
    await expect(invoker.invoke({ name: 'c' })).resolves.toBe('c done');
    expect(ran).toEqual(['a', 'c']);
    expect(onStart).not.toHaveBeenCalled();
  });

  it('keeps the queue order of the other waiting tasks when one in the middle is dropped', async () => {
    const { invoker, ran, release } = gatedInvoker();
    const running = invoker.invoke({ name: 'a', wait: true });
    const cancel = new AbortController();
    const rest = [
      invoker.invoke({ name: 'b' }),
      invoker.invoke({ name: 'c' }, { signal: cancel.signal }).catch((e) => e),
      invoker.invoke({ name: 'd' }),
    ];
    cancel.abort();
    release('a');
    const [b, c, d] = await Promise.all(rest);
    await running;
    expect([b, d]).toEqual(['b done', 'd done']);
    expect(c).toBeInstanceOf(InvokeCancelledError);
    expect(ran).toEqual(['a', 'b', 'd']);
  });

  it('rejects at once a task whose signal is already aborted, even with a free slot', async () => {
    const { invoker, ran } = gatedInvoker();
    const onStart = jest.fn();
    const outcome = await stateOf(invoker.invoke({ name: 'x' }, { signal: AbortSignal.abort(), onStart }));
    expect(outcome.state).toBe('rejected');
    expect(outcome.value).toBeInstanceOf(InvokeCancelledError);
    expect(ran).toEqual([]);
    expect(onStart).not.toHaveBeenCalled();
    await expect(invoker.invoke({ name: 'y' })).resolves.toBe('y done');
  });

  it('lets a task that is already running run on when its signal aborts, and resolves with its result', async () => {
    const { invoker, ran, release } = gatedInvoker();
    const cancel = new AbortController();
    const started = deferred();
    const running = invoker.invoke(
      { name: 'a', wait: true },
      { signal: cancel.signal, onStart: started.resolve },
    );
    await started.promise;
    cancel.abort();
    expect((await stateOf(running)).state).toBe('pending');
    release('a');
    await expect(running).resolves.toBe('a done');
    expect(ran).toEqual(['a']);
  });
});

describe('WorkerPoolInvoker cancellation (1 worker)', () => {
  // A worker script of its own: each task marks that it ran, and a task may wait for a key in the store,
  // which the test writes to let it finish (no sleeps to tune).
  type Request = { name: string; waitFor?: string };
  const workerHost = path.resolve(__dirname, '../../src/engine/io/worker-host.ts');
  let dir: string;
  let script: string;
  let store: MemoryStore;
  let pool: WorkerPoolInvoker<Request, { name: string }>;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sluice-cancel-'));
    script = path.join(dir, 'waiting-worker.ts');
    writeFileSync(
      script,
      `import { serveTasks } from ${JSON.stringify(workerHost)};

serveTasks(async (request: { name: string; waitFor?: string }, store) => {
  await store.put('ran/' + request.name, new Uint8Array([1]));
  if (request.waitFor) {
    while (!(await store.has(request.waitFor))) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { name: request.name };
});
`,
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(() => {
    store = new MemoryStore();
    pool = new WorkerPoolInvoker<Request, { name: string }>({ script, workers: 1, store });
  });

  afterEach(() => pool.close());

  const ran = async () => (await store.list('ran/')).map((e) => e.key.slice('ran/'.length));
  const release = (key: string) => store.put(key, encoder.encode('go'));

  it('drops a queued task whose signal aborts: it never runs, rejects with InvokeCancelledError, and the running one completes', async () => {
    const running = pool.invoke({ name: 'a', waitFor: 'go/a' });
    const cancel = new AbortController();
    const onStart = jest.fn();
    const queued = pool.invoke({ name: 'b' }, { signal: cancel.signal, onStart });
    await until(async () => (await ran()).includes('a'));

    cancel.abort();
    const error = await queued.catch((e) => e);
    expect(error).toBeInstanceOf(InvokeCancelledError);
    expect(error.context).toMatchObject({ script });

    await release('go/a');
    await expect(running).resolves.toEqual({ name: 'a' });
    // The worker takes the next task; the dropped one never reached it.
    await expect(pool.invoke({ name: 'c' })).resolves.toEqual({ name: 'c' });
    expect(await ran()).toEqual(['a', 'c']);
    expect(onStart).not.toHaveBeenCalled();
  });

  it('rejects at once a task whose signal is already aborted, and sends nothing to the worker', async () => {
    const onStart = jest.fn();
    const outcome = await stateOf(pool.invoke({ name: 'x' }, { signal: AbortSignal.abort(), onStart }));
    expect(outcome.state).toBe('rejected');
    expect(outcome.value).toBeInstanceOf(InvokeCancelledError);
    await expect(pool.invoke({ name: 'y' })).resolves.toEqual({ name: 'y' });
    expect(await ran()).toEqual(['y']);
    expect(onStart).not.toHaveBeenCalled();
  });

  it('lets a task that is already running run on when its signal aborts, and resolves with its result', async () => {
    const cancel = new AbortController();
    const started = deferred();
    const running = pool.invoke(
      { name: 'a', waitFor: 'go/a' },
      { signal: cancel.signal, onStart: started.resolve },
    );
    await started.promise;
    await until(async () => (await ran()).includes('a'));
    cancel.abort();
    expect((await stateOf(running)).state).toBe('pending');
    await release('go/a');
    await expect(running).resolves.toEqual({ name: 'a' });
  });
});

describe('LambdaInvoker cancellation (parallelism 1, fake client)', () => {
  /** A LambdaClient stand-in whose invocations finish when the test says so. */
  function gatedClient() {
    const finish = new Map<string, () => void>();
    const sent: string[] = [];
    const client: LambdaSender & { send: jest.Mock } = {
      send: jest.fn(
        (command: InvokeCommand) =>
          new Promise<InvokeCommandOutput>((resolve) => {
            expect(command).toBeInstanceOf(InvokeCommand);
            const request = JSON.parse(decoder.decode(command.input.Payload as Uint8Array)) as {
              name: string;
            };
            sent.push(request.name);
            finish.set(request.name, () =>
              resolve({
                StatusCode: 200,
                Payload: encoder.encode(JSON.stringify({ done: request.name })),
                $metadata: {},
              } as InvokeCommandOutput),
            );
          }),
      ),
    };
    const release = async (name: string) => {
      await until(() => finish.has(name));
      finish.get(name)!();
    };
    return { client, sent, release };
  }

  const invokers: LambdaInvoker<any, any>[] = [];
  afterEach(async () => {
    await Promise.all(invokers.splice(0).map((i) => i.close()));
  });

  function lambda(client: LambdaSender) {
    const invoker = new LambdaInvoker<{ name: string }, { done: string }>({
      client,
      functionName: 'task',
      parallelism: 1,
    });
    invokers.push(invoker);
    return invoker;
  }

  it('never sends a queued invocation whose signal aborts, and rejects it with InvokeCancelledError', async () => {
    const { client, sent, release } = gatedClient();
    const invoker = lambda(client);
    const running = invoker.invoke({ name: 'a' });
    const cancel = new AbortController();
    const onStart = jest.fn();
    const queued = invoker.invoke({ name: 'b' }, { signal: cancel.signal, onStart });
    await until(() => sent.length === 1);

    cancel.abort();
    const error = await queued.catch((e) => e);
    expect(error).toBeInstanceOf(InvokeCancelledError);
    expect(error.context).toMatchObject({ functionName: 'task' });

    await release('a');
    await expect(running).resolves.toEqual({ done: 'a' });
    // The slot passes on to later invocations; the cancelled one was never sent.
    const later = invoker.invoke({ name: 'c' });
    await release('c');
    await expect(later).resolves.toEqual({ done: 'c' });
    expect(sent).toEqual(['a', 'c']);
    expect(client.send).toHaveBeenCalledTimes(2);
    expect(onStart).not.toHaveBeenCalled();
  });

  it('rejects at once an invocation whose signal is already aborted, without sending it', async () => {
    const { client } = gatedClient();
    const outcome = await stateOf(lambda(client).invoke({ name: 'x' }, { signal: AbortSignal.abort() }));
    expect(outcome.state).toBe('rejected');
    expect(outcome.value).toBeInstanceOf(InvokeCancelledError);
    expect(client.send).not.toHaveBeenCalled();
  });

  it('lets an invocation already sent run on when its signal aborts, and resolves with its result', async () => {
    const { client, release } = gatedClient();
    const cancel = new AbortController();
    const running = lambda(client).invoke({ name: 'a' }, { signal: cancel.signal });
    await until(() => client.send.mock.calls.length === 1);
    cancel.abort();
    await release('a');
    await expect(running).resolves.toEqual({ done: 'a' });
  });
});
