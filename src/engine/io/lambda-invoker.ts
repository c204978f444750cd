/**
 * An Invoker that runs each task as one synchronous Lambda invocation. A function that throws is a
 * failed attempt, left to the scheduler to retry; only failures to reach the function (throttling, Lambda
 * service errors, network trouble) are retried here.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { ConfigError, RemoteError } from '../util/errors';
import { bytesFromWire, bytesToWire } from '../util/wire-bytes';
import { awsErrorCode, describeAwsError, isRetryableAwsError } from './aws-errors';
import { InvokeCancelledError, InvokeError } from './errors';
import type { Clock, InvokeOptions, Invoker } from './ports';
import { type RetryOptions, type RetryPolicy, retryPolicy, withRetry } from './retry';
import { Slots } from './slots';

export type { RetryOptions } from './retry';

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
  /** Retries of throttled or transiently failed invocations (see io/retry.ts); default 8 tries, 100 ms..10 s. */
  retry?: Partial<RetryOptions>;
  /** Where retries wait; a ManualClock in tests. Default: the system clock. */
  clock?: Clock;
}

const DEFAULT_RETRY: RetryOptions = { maxAttempts: 8, baseMs: 100, maxMs: 10_000 };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class LambdaInvoker<Req, Res> implements Invoker<Req, Res> {
  readonly parallelism: number;
  readonly functionName: string;
  private readonly client: LambdaSender;
  private readonly retry: RetryPolicy;
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
    const retry = retryPolicy({ ...options.retry, clock: options.clock }, DEFAULT_RETRY);
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
  }

  invoke(request: Req, options?: InvokeOptions): Promise<Res> {
    if (this.closed) return Promise.reject(this.error('the invoker is closed; no more tasks can run'));
    let payload: Uint8Array;
    try {
      payload = encoder.encode(JSON.stringify(bytesToWire(request)) ?? 'null');
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

  /** Lambda's own failures (throttling, service errors, the network) are retried; the function's are not. */
  private async attempt(payload: Uint8Array): Promise<Res> {
    const command = new InvokeCommand({
      FunctionName: this.functionName,
      InvocationType: 'RequestResponse',
      Payload: payload,
    });
    const out = await withRetry(
      this.retry,
      () => this.client.send(command, { abortSignal: this.abort.signal }),
      {
        retryable: (cause) => !this.closed && isRetryable(cause),
        stop: (cause) =>
          this.closed
            ? this.error('the invoker was closed while retrying the invocation', {}, cause)
            : undefined,
        giveUp: ({ error: cause, attempts, exhausted }) => {
          if (this.closed)
            return this.error('the invoker was closed while the invocation was running', {}, cause);
          if (awsErrorCode(cause) === 'ResourceNotFoundException') {
            return this.error(`Lambda function "${this.functionName}" does not exist`, { attempts }, cause);
          }
          if (!exhausted) {
            return this.error(
              `invoking Lambda function "${this.functionName}" failed: ${describeAwsError(cause)}`,
              {},
              cause,
            );
          }
          return this.error(
            `invoking Lambda function "${this.functionName}" failed after ${attempts} attempts: ${describeAwsError(cause)}`,
            { attempts },
            cause,
          );
        },
      },
    );
    return this.decode(out);
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
      return bytesFromWire(JSON.parse(text)) as Res;
    } catch (cause) {
      throw this.error(
        `Lambda function "${this.functionName}" returned a payload that is not JSON`,
        {},
        cause,
      );
    }
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
function isRetryable(cause: unknown): boolean {
  // Aborted by close(): not a failure of Lambda's.
  if (awsErrorCode(cause) === 'AbortError') return false;
  return isRetryableAwsError(cause);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
