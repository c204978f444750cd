/**
 * An Invoker that runs each task as one synchronous Lambda invocation. A function that throws is a
 * failed attempt, left to the scheduler to retry; only failures to reach the function (throttling, Lambda
 * service errors, network trouble) are retried here.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { ConfigError, RemoteError } from '../util/errors';
import { InvokeCancelledError, InvokeError } from './errors';
import type { InvokeOptions, Invoker } from './ports';
import { Slots } from './slots';

export interface RetryOptions {
  /** Tries in all, the first one included. */
  maxAttempts: number;
  /** Backoff before the first retry; it doubles with each further retry... */
  baseMs: number;
  /** ...up to this. */
  maxMs: number;
}

/** What LambdaInvoker needs of a LambdaClient, so tests can pass a fake. */
export interface LambdaSender {
  send(command: InvokeCommand, options?: { abortSignal?: AbortSignal }): Promise<InvokeCommandOutput>;
}

export interface LambdaInvokerOptions {
  /**
   * Give it `maxAttempts: 1` (as `lambdaClient()` in aws-clients.ts does): retries happen here, and the
   * SDK's own would multiply them.
   */
  client: LambdaClient | LambdaSender;
  functionName: string;
  /** Invocations in flight at once; more wait in a queue. Default 64. */
  parallelism?: number;
  retry?: Partial<RetryOptions>;
  /** Waits between retries; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_RETRY: RetryOptions = { maxAttempts: 8, baseMs: 100, maxMs: 10_000 };

const TRANSIENT_ERRORS = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'ServiceException',
  'EC2ThrottledException',
  'ResourceNotReadyException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class LambdaInvoker<Req, Res> implements Invoker<Req, Res> {
  readonly parallelism: number;
  readonly functionName: string;
  private readonly client: LambdaSender;
  private readonly retry: RetryOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly slots: Slots;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Aborts the HTTP requests still open when the invoker is closed. */
  private readonly abort = new AbortController();
  private closed = false;

  constructor(options: LambdaInvokerOptions) {
    const parallelism = options.parallelism ?? 64;
    if (!Number.isInteger(parallelism) || parallelism < 1) {
      throw new ConfigError(`parallelism must be a positive integer, got ${parallelism}`, { parallelism });
    }
    if (!options.functionName) {
      throw new ConfigError('LambdaInvoker needs a function name', { functionName: options.functionName });
    }
    const retry = { ...DEFAULT_RETRY, ...options.retry };
    if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1 || !(retry.baseMs >= 0)) {
      throw new ConfigError('retry needs maxAttempts >= 1 and baseMs >= 0', { ...retry });
    }
    if (!(retry.maxMs >= retry.baseMs)) {
      throw new ConfigError('retry.maxMs must be at least retry.baseMs', { ...retry });
    }
    this.parallelism = parallelism;
    this.functionName = options.functionName;
    this.slots = new Slots(
      parallelism,
      () =>
        new InvokeCancelledError('invocation cancelled before it started: its result is no longer needed', {
          functionName: this.functionName,
        }),
    );
    this.client = options.client as LambdaSender;
    this.retry = retry;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  invoke(request: Req, options?: InvokeOptions): Promise<Res> {
    if (this.closed) return Promise.reject(this.error('the invoker is closed; no more tasks can run'));
    let payload: Uint8Array;
    try {
      payload = encoder.encode(JSON.stringify(request) ?? 'null');
    } catch (cause) {
      return Promise.reject(
        this.error('the task request cannot be sent: it is not JSON-serializable', {}, cause),
      );
    }
    const run = this.slots.acquire(options?.signal).then(async () => {
      options?.onStart?.();
      try {
        return await this.attempt(payload);
      } finally {
        this.slots.release();
      }
    });
    this.inFlight.add(run);
    void run.then(
      () => this.inFlight.delete(run),
      () => this.inFlight.delete(run),
    );
    return run;
  }

  /** Rejects queued invocations, aborts running ones (the functions themselves run on) and waits for them. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.slots.rejectWaiting(() => this.error('the invoker was closed before the invocation started'));
      this.abort.abort();
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private async attempt(payload: Uint8Array): Promise<Res> {
    const command = new InvokeCommand({
      FunctionName: this.functionName,
      InvocationType: 'RequestResponse',
      Payload: payload,
    });
    for (let attempt = 1; ; attempt++) {
      let out: InvokeCommandOutput;
      try {
        out = await this.client.send(command, { abortSignal: this.abort.signal });
      } catch (cause) {
        if (this.closed)
          throw this.error('the invoker was closed while the invocation was running', {}, cause);
        if (errorName(cause) === 'ResourceNotFoundException') {
          throw this.error(
            `Lambda function "${this.functionName}" does not exist`,
            { attempts: attempt },
            cause,
          );
        }
        if (!isTransient(cause)) {
          throw this.error(
            `invoking Lambda function "${this.functionName}" failed: ${describeError(cause)}`,
            {},
            cause,
          );
        }
        if (attempt >= this.retry.maxAttempts) {
          throw this.error(
            `invoking Lambda function "${this.functionName}" failed after ${attempt} attempts: ${describeError(cause)}`,
            { attempts: attempt },
            cause,
          );
        }
        await this.sleep(this.backoff(attempt, cause));
        if (this.closed) throw this.error('the invoker was closed while retrying the invocation', {}, cause);
        continue;
      }
      return this.decode(out);
    }
  }

  private decode(out: InvokeCommandOutput): Res {
    const text = out.Payload ? decoder.decode(out.Payload) : '';
    if (out.FunctionError) {
      // Lambda's Node.js runtime reports { errorType, errorMessage, trace }; other runtimes say stackTrace.
      const body = parseJson(text) as
        | { errorType?: unknown; errorMessage?: unknown; trace?: unknown; stackTrace?: unknown }
        | undefined;
      const trace = Array.isArray(body?.trace) ? body.trace : body?.stackTrace;
      throw new RemoteError({
        name: typeof body?.errorType === 'string' ? body.errorType : out.FunctionError,
        message: typeof body?.errorMessage === 'string' ? body.errorMessage : text,
        stack: Array.isArray(trace) ? trace.join('\n') : undefined,
        context: { functionName: this.functionName, functionError: out.FunctionError },
      });
    }
    if (text === '') return undefined as Res;
    try {
      return JSON.parse(text) as Res;
    } catch (cause) {
      throw this.error(
        `Lambda function "${this.functionName}" returned a payload that is not JSON`,
        {},
        cause,
      );
    }
  }

  /** Exponential backoff with jitter in its upper half, so a throttled fleet spreads out but still waits. */
  private backoff(attempt: number, cause: unknown): number {
    const cap = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (attempt - 1));
    const delay = cap / 2 + (Math.random() * cap) / 2;
    const retryAfter = (cause as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    const asked =
      typeof retryAfter === 'string' || typeof retryAfter === 'number' ? Number(retryAfter) * 1000 : 0;
    return Math.round(Math.max(delay, Math.min(this.retry.maxMs, Number.isFinite(asked) ? asked : 0)));
  }

  private error(message: string, context: Record<string, unknown> = {}, cause?: unknown): InvokeError {
    return new InvokeError(
      message,
      { functionName: this.functionName, ...context },
      cause === undefined ? undefined : { cause },
    );
  }
}

/** Throttling, Lambda's own 5xx errors and network failures: the function did not get to fail. */
function isTransient(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  if (typeof e?.name === 'string' && TRANSIENT_ERRORS.has(e.name)) return true;
  if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined && (status === 429 || status >= 500);
}

function errorName(err: unknown): string | undefined {
  const name = (err as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

function describeError(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown } | undefined;
  return typeof e?.message === 'string' ? `${String(e.name ?? 'Error')}: ${e.message}` : String(err);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
