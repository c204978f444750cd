import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ManualClock, SystemClock } from '../../src/engine/io/clock';
import { InvokeError } from '../../src/engine/io/errors';
import {
  LambdaInvoker,
  type LambdaInvokerOptions,
  type LambdaSender,
} from '../../src/engine/io/lambda-invoker';
import { type LocalLambda, startLocalLambda } from '../../src/engine/io/local-lambda';
import type { Clock } from '../../src/engine/io/ports';
import { ConfigError, RemoteError } from '../../src/engine/util/errors';

const encoder = new TextEncoder();
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let lambda: LambdaClient;
let local: LocalLambda;
const invokers: LambdaInvoker<any, any>[] = [];

/** Calls per function, and the most that ran at once, as seen inside the "Lambda". */
const calls = new Map<string, number>();
let concurrent = 0;
let maxConcurrent = 0;
let eventSeen: (event: unknown) => void = () => undefined;

function count(name: string): void {
  calls.set(name, (calls.get(name) ?? 0) + 1);
}

beforeAll(async () => {
  local = await startLocalLambda({
    functions: {
      double: async (event) => {
        count('double');
        const { n } = event as { n: number };
        return { got: event, doubled: n * 2 };
      },
      nothing: async () => undefined,
      fails: async (event) => {
        count('fails');
        throw new TypeError(`bad record at offset ${(event as { offset: number }).offset}`);
      },
      counted: async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await delay(20);
        concurrent--;
        return 'done';
      },
      slow: async () => {
        count('slow');
        await delay(50);
        return 'slow done';
      },
      event: async (event) => {
        eventSeen(event);
      },
    },
    concurrency: { slow: 1 },
    timeoutMs: 1000,
  });
  lambda = new LambdaClient({
    region: 'us-east-1',
    endpoint: local.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
});

afterAll(async () => {
  await Promise.all(invokers.map((invoker) => invoker.close()));
  lambda?.destroy();
  await local?.close();
});

beforeEach(() => {
  calls.clear();
  concurrent = 0;
  maxConcurrent = 0;
});

function invoker<Req = any, Res = any>(options: Partial<LambdaInvokerOptions> = {}): LambdaInvoker<Req, Res> {
  const created = new LambdaInvoker<Req, Res>({ client: lambda, functionName: 'double', ...options });
  invokers.push(created);
  return created;
}

/** A LambdaClient stand-in that fails with the given errors, in order, then succeeds. */
function flakyClient(errors: unknown[]): LambdaSender & { send: jest.Mock } {
  const queue = [...errors];
  return {
    send: jest.fn(async (command: InvokeCommand): Promise<InvokeCommandOutput> => {
      expect(command).toBeInstanceOf(InvokeCommand);
      const next = queue.shift();
      if (next !== undefined) throw next;
      return {
        StatusCode: 200,
        Payload: encoder.encode('{"ok":true}'),
        $metadata: {},
      } as InvokeCommandOutput;
    }),
  };
}

function awsError(name: string, status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: { httpStatusCode: status },
    ...extra,
  });
}

/** A clock that records each wait in ms: fake time (jumps at once) unless `real`. */
function recordingClock(sleeps: number[] = [], real = false): Clock & { sleeps: number[] } {
  const inner: Clock = real ? new SystemClock() : new ManualClock(0, { autoAdvance: true });
  return {
    sleeps,
    now: () => inner.now(),
    sleepUntil: (time) => {
      sleeps.push(time - inner.now());
      return inner.sleepUntil(time);
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('LambdaInvoker against the local Lambda endpoint', () => {
  it('sends the request as the JSON event and resolves with the JSON result', async () => {
    const result = await invoker().invoke({ n: 21, tags: ['a', 'b'] });
    expect(result).toEqual({ got: { n: 21, tags: ['a', 'b'] }, doubled: 42 });
  });

  it('resolves with null, as Lambda does, when the function returns nothing', async () => {
    expect(await invoker({ functionName: 'nothing' }).invoke({})).toBeNull();
  });

  it('rejects the attempt with the remote error type, message and stack when the function throws, without retrying', async () => {
    const err = await rejection(invoker({ functionName: 'fails' }).invoke({ offset: 7 }));
    expect(err).toBeInstanceOf(RemoteError);
    const remote = err as RemoteError;
    expect(remote.message).toBe('bad record at offset 7');
    expect(remote.remoteName).toBe('TypeError');
    expect(remote.stack).toContain('TypeError: bad record at offset 7');
    expect(remote.context).toEqual({ functionName: 'fails', functionError: 'Unhandled' });
    expect(calls.get('fails')).toBe(1);
  });

  it('fails the attempt with Sandbox.Timedout when the function runs past its timeout', async () => {
    const slowLocal = await startLocalLambda({ functions: { sleepy: () => delay(200) }, timeoutMs: 20 });
    const client = new LambdaClient({
      region: 'us-east-1',
      endpoint: slowLocal.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: new NodeHttpHandler(),
    });
    try {
      const err = await rejection(invoker({ client, functionName: 'sleepy' }).invoke({}));
      expect(err).toBeInstanceOf(RemoteError);
      expect((err as RemoteError).remoteName).toBe('Sandbox.Timedout');
      expect((err as RemoteError).message).toBe('Task timed out after 0.02 seconds');
    } finally {
      client.destroy();
      await slowLocal.close();
    }
  });

  it('rejects with an InvokeError saying the function does not exist for an unknown function', async () => {
    const err = await rejection(invoker({ functionName: 'no-such-function' }).invoke({}));
    expect(err).toBeInstanceOf(InvokeError);
    expect((err as InvokeError).message).toBe('Lambda function "no-such-function" does not exist');
    expect((err as InvokeError).context).toMatchObject({ functionName: 'no-such-function' });
    expect((err as InvokeError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('never runs more invocations at once than its parallelism, queueing the rest', async () => {
    const limited = invoker({ functionName: 'counted', parallelism: 3 });
    const results = await Promise.all(Array.from({ length: 10 }, () => limited.invoke({})));
    expect(results).toEqual(Array(10).fill('done'));
    expect(maxConcurrent).toBe(3);
  });

  it('retries invocations throttled by the function concurrency limit until they get through', async () => {
    const sleeps: number[] = [];
    const throttled = invoker({
      functionName: 'slow',
      retry: { baseMs: 5, maxMs: 20, maxAttempts: 50 },
      clock: recordingClock(sleeps, true),
    });
    const results = await Promise.all([throttled.invoke({}), throttled.invoke({})]);
    expect(results).toEqual(['slow done', 'slow done']);
    expect(calls.get('slow')).toBe(2);
    expect(sleeps.length).toBeGreaterThan(0);
  });

  it('answers an Event invocation with 202 and runs the function in the background', async () => {
    const seen = new Promise((resolve) => {
      eventSeen = resolve;
    });
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: 'event',
        InvocationType: 'Event',
        Payload: encoder.encode('{"hello":"world"}'),
      }),
    );
    expect(out.StatusCode).toBe(202);
    expect(await seen).toEqual({ hello: 'world' });
  });

  it('accepts a function ARN as well as a name', async () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:double';
    expect(await invoker({ functionName: arn }).invoke({ n: 1 })).toMatchObject({ doubled: 2 });
  });
});

describe('LambdaInvoker retries', () => {
  it('retries throttling with exponential backoff and jitter, then resolves', async () => {
    const client = flakyClient([
      awsError('TooManyRequestsException', 429),
      awsError('TooManyRequestsException', 429),
    ]);
    const sleeps: number[] = [];
    const result = await invoker({
      client,
      retry: { baseMs: 100, maxMs: 1000, maxAttempts: 5 },
      clock: recordingClock(sleeps),
    }).invoke({});
    expect(result).toEqual({ ok: true });
    expect(client.send).toHaveBeenCalledTimes(3);
    expect(sleeps).toHaveLength(2);
    // Jitter stays in the upper half of each doubling step.
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it('waits at least as long as the Retry-After of a throttle, within maxMs', async () => {
    const client = flakyClient([awsError('TooManyRequestsException', 429, { retryAfterSeconds: '2' })]);
    const sleeps: number[] = [];
    await invoker({
      client,
      retry: { baseMs: 10, maxMs: 5000 },
      clock: recordingClock(sleeps),
    }).invoke({});
    expect(sleeps).toEqual([2000]);
  });

  it('retries Lambda service errors and network failures too', async () => {
    const client = flakyClient([
      awsError('ServiceException', 500),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      awsError('TimeoutError', 0),
    ]);
    const result = await invoker({ client, clock: recordingClock() }).invoke({});
    expect(result).toEqual({ ok: true });
    expect(client.send).toHaveBeenCalledTimes(4);
  });

  it('gives up after maxAttempts with an InvokeError naming the function and the last failure', async () => {
    const throttle = awsError('TooManyRequestsException', 429);
    const client = flakyClient([throttle, throttle, throttle, throttle]);
    const err = await rejection(
      invoker({
        client,
        functionName: 'busy-fn',
        retry: { maxAttempts: 3, baseMs: 1, maxMs: 1 },
        clock: recordingClock(),
      }).invoke({}),
    );
    expect(err).toBeInstanceOf(InvokeError);
    expect((err as InvokeError).message).toBe(
      'invoking Lambda function "busy-fn" failed after 3 attempts: TooManyRequestsException: TooManyRequestsException happened',
    );
    expect((err as InvokeError).context).toEqual({ functionName: 'busy-fn', attempts: 3 });
    expect((err as InvokeError).cause).toBe(throttle);
    expect(client.send).toHaveBeenCalledTimes(3);
  });

  it('does not retry a request Lambda rejects as invalid', async () => {
    const client = flakyClient([awsError('RequestTooLargeException', 413)]);
    const err = await rejection(invoker({ client, clock: recordingClock() }).invoke({}));
    expect(err).toBeInstanceOf(InvokeError);
    expect((err as InvokeError).message).toMatch(
      /^invoking Lambda function "double" failed: RequestTooLarge/,
    );
    expect(client.send).toHaveBeenCalledTimes(1);
  });
});

describe('LambdaInvoker lifecycle and options', () => {
  it('rejects a request that cannot be encoded as JSON without invoking anything', async () => {
    const client = flakyClient([]);
    const err = await rejection(invoker({ client }).invoke({ big: 1n }));
    expect(err).toBeInstanceOf(InvokeError);
    expect((err as InvokeError).message).toMatch(/not JSON-serializable/);
    expect(client.send).not.toHaveBeenCalled();
  });

  it('rejects queued and new invocations once closed, and waits for running ones', async () => {
    let release: () => void = () => undefined;
    const client: LambdaSender = {
      send: (_command, options) =>
        new Promise((resolve, reject) => {
          release = () => resolve({ $metadata: {}, Payload: encoder.encode('1') } as InvokeCommandOutput);
          options?.abortSignal?.addEventListener('abort', () =>
            reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
          );
        }),
    };
    const closing = new LambdaInvoker({ client, functionName: 'f', parallelism: 1 });
    const running = rejection(closing.invoke({}));
    const queued = rejection(closing.invoke({}));
    await delay(0);
    await closing.close();
    expect(await running).toMatchObject({
      message: 'the invoker was closed while the invocation was running',
    });
    expect(await queued).toMatchObject({ message: 'the invoker was closed before the invocation started' });
    await expect(closing.invoke({})).rejects.toThrow(/closed/);
    release();
  });

  it('rejects a parallelism that is not a positive integer', () => {
    expect(() => new LambdaInvoker({ client: flakyClient([]), functionName: 'f', parallelism: 0 })).toThrow(
      ConfigError,
    );
  });
});
