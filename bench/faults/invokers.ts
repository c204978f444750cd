import { InvokeError } from '../../src/engine/io/errors';
import type { InvokeOptions, Invoker } from '../../src/engine/io/ports';
import { type FailureSchedule, Gate } from './random';

export interface InvokerFaults {
  /** Probability that an attempt fails (half before running, half after running: a lost reply). */
  taskFailure: number;
  /** Probability that an attempt straggles, and by how much. */
  straggler: number;
  stragglerDelayMs: number;
}

export interface FaultCounts {
  taskFailures: number;
  stragglers: number;
  lostObjects: number;
}

/** Wraps an invoker: some attempts fail, some are slow. */
export class FaultyInvoker<Req, Res> implements Invoker<Req, Res> {
  constructor(
    private readonly inner: Invoker<Req, Res>,
    private readonly faults: InvokerFaults,
    private readonly random: () => number,
    readonly counts: FaultCounts,
  ) {}

  get parallelism(): number {
    return this.inner.parallelism;
  }

  async invoke(request: Req, options?: InvokeOptions): Promise<Res> {
    const roll = this.random();
    const straggle = this.random() < this.faults.straggler;
    if (roll < this.faults.taskFailure / 2) {
      this.counts.taskFailures++;
      throw new InvokeError('injected fault: the task instance died before running');
    }
    if (straggle) {
      this.counts.stragglers++;
      await new Promise((resolve) => setTimeout(resolve, this.faults.stragglerDelayMs));
    }
    const result = await this.inner.invoke(request, options);
    if (roll < this.faults.taskFailure) {
      this.counts.taskFailures++;
      throw new InvokeError('injected fault: the task ran but its reply was lost');
    }
    return result;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** What the Lambda SDK throws when the function's concurrency is exhausted (429). */
export function lambdaThrottle(): Error {
  const cause = Object.assign(new Error('Rate Exceeded. (injected fault)'), {
    name: 'TooManyRequestsException',
    Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    $fault: 'client',
    $metadata: { httpStatusCode: 429 },
  });
  return new InvokeError(
    'task invocation throttled: TooManyRequestsException (injected fault)',
    {},
    { cause },
  );
}

/**
 * Lambda throttling past the SDK's own retries: in bursts, invocations fail with TooManyRequestsException
 * before anything runs.
 */
export class ThrottlingInvoker<Req, Res> implements Invoker<Req, Res> {
  constructor(
    private readonly inner: Invoker<Req, Res>,
    readonly bursts: FailureSchedule,
    readonly counts: { lambdaThrottles: number },
  ) {}

  get parallelism(): number {
    return this.inner.parallelism;
  }

  async invoke(request: Req, options?: InvokeOptions): Promise<Res> {
    if (this.bursts.next()) {
      this.counts.lambdaThrottles++;
      throw lambdaThrottle();
    }
    return this.inner.invoke(request, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface EchoFaults {
  /** Probability that a task that returned is invoked again later (a retried or redelivered event). */
  late: number;
  /** How much later, in ms (real time). */
  lateDelayMs: () => number;
  /** Probability that a task is invoked twice at once (a duplicate delivery). */
  duplicate: number;
}

/**
 * Late and duplicate deliveries of the same task description: after a task returns, the same request
 * runs again later (often after its batch committed), or twice at once. Their results and errors are
 * dropped; `drain()` waits for all of them (and for ones they started). `invokeEchoes` runs them, so they
 * may outlive the coordinator that caused them, as Lambda invocations outlive their caller.
 */
export class EchoInvoker<Req, Res> implements Invoker<Req, Res> {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly inner: Invoker<Req, Res>,
    private readonly faults: EchoFaults,
    private readonly random: () => number,
    readonly counts: { lateTasks: number },
    private readonly invokeEchoes: (request: Req) => Promise<unknown> = (request) => inner.invoke(request),
  ) {}

  get parallelism(): number {
    return this.inner.parallelism;
  }

  async invoke(request: Req, options?: InvokeOptions): Promise<Res> {
    if (this.random() < this.faults.duplicate) this.echo(request, 0);
    const result = await this.inner.invoke(request, options);
    if (this.random() < this.faults.late) this.echo(request, this.faults.lateDelayMs());
    return result;
  }

  private echo(request: Req, delayMs: number): void {
    this.counts.lateTasks++;
    const run = new Promise((resolve) => setTimeout(resolve, delayMs))
      .then(() => this.invokeEchoes(request))
      .catch(() => undefined);
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  /** Waits until every late or duplicate invocation has finished. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * An invoker whose owner can be killed: once `kill()` ran, no reply reaches it any more (the tasks
 * already running go on, as Lambda invocations outlive a coordinator killed at its deadline).
 * `killWhen` is asked with each request that returned; true kills right after that reply.
 */
export class KillableInvoker<Req, Res> implements Invoker<Req, Res> {
  constructor(
    private readonly inner: Invoker<Req, Res>,
    private readonly killWhen: (request: Req) => boolean = () => false,
    /** Shared with the owner's store (a GatedStore), so a kill stops its writes too. */
    readonly gate: Gate = new Gate(),
  ) {}

  get parallelism(): number {
    return this.inner.parallelism;
  }

  kill(): void {
    this.gate.close();
  }

  async invoke(request: Req, options?: InvokeOptions): Promise<Res> {
    await this.gate.pass();
    const result = await this.inner.invoke(request, options);
    if (!this.gate.closed && this.killWhen(request)) this.kill();
    await this.gate.pass();
    return result;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
