/**
 * What keeps a job running across coordinator invocations on Lambda: the deadline rule (never start a
 * batch that cannot finish before the invocation ends), the successor port (the outgoing coordinator
 * starts the next one itself, so the hand-over leaves no gap), and the limit on batch intervals.
 */
import { LeaseHeldError } from '../catalog/errors';
import { lambdaClient } from '../io/aws-clients';
import { LambdaStarter } from '../io/lambda-starter';
import type { Clock, SleepOptions } from '../io/ports';
import { sleep } from '../io/retry';
import type { RuntimeConfig } from './config';
import { RuntimeError } from './errors';

/** Lambda's ceiling on one invocation (15 minutes). */
export const LAMBDA_MAX_INVOCATION_MS = 900_000;
/** Kept free after the last batch: hand the lease over and return (default 5 s). */
export const DEFAULT_HANDOVER_MARGIN_MS = 5000;
/** The successor is started this long before the last batch's time, so its cold start overlaps it. */
export const DEFAULT_SUCCESSOR_LEAD_MS = 2000;
/** How often a successor looks whether the lease was handed to it. */
export const DEFAULT_LEASE_POLL_MS = 200;
/** Processing times remembered for the deadline rule. */
const RECENT_BATCHES = 20;

/** The event an outgoing coordinator sends to start its successor. */
export interface SuccessorEvent {
  job: string;
  /** The outgoing coordinator's lease owner id. */
  successorOf: string;
  /** The lease owner id the successor runs as; the lease is handed to it. */
  owner: string;
}

/** Starts a successor coordinator somewhere else (another Lambda invocation, another task here). */
export interface SuccessorStarter {
  /** Resolves once the successor was started (not when it finishes); rejects if it could not be. */
  start(event: SuccessorEvent): Promise<void>;
}

/** Successors started by invoking the coordinator's own function asynchronously. */
export function lambdaSuccessorStarter(
  config: Pick<RuntimeConfig, 'lambdaEndpoint'>,
  functionName: string,
): SuccessorStarter {
  return new LambdaStarter<SuccessorEvent>({
    client: lambdaClient({ endpoint: config.lambdaEndpoint }),
    functionName,
  });
}

/**
 * Successors run in this process (tests, one machine): `start` begins `run(event)` and returns at once,
 * like an asynchronous invoke. `settled()` waits for every successor started so far and their results.
 */
export class InProcessSuccessorStarter implements SuccessorStarter {
  readonly started: SuccessorEvent[] = [];
  private readonly runs: Promise<unknown>[] = [];

  constructor(private readonly run: (event: SuccessorEvent) => Promise<unknown>) {}

  async start(event: SuccessorEvent): Promise<void> {
    this.started.push(event);
    const running = Promise.resolve().then(() => this.run(event));
    running.catch(() => undefined);
    this.runs.push(running);
  }

  /** Waits until the successors started so far (and any they start through this starter) are done. */
  async settled(): Promise<PromiseSettledResult<unknown>[]> {
    let seen = -1;
    let results: PromiseSettledResult<unknown>[] = [];
    while (seen !== this.runs.length) {
      seen = this.runs.length;
      results = await Promise.allSettled(this.runs);
    }
    return results;
  }
}

/**
 * The deadline rule. A batch starts at its batch time (or at once when it is late) and is assumed to
 * take `max(2 × the slowest of the recent batches, one interval)`; it may start only if it ends, so
 * assumed, at least `marginMs` before the invocation's deadline.
 */
export class BatchBudget {
  private readonly recent: number[] = [];

  constructor(
    readonly batchMs: number,
    readonly marginMs: number,
  ) {}

  record(processingMs: number): void {
    this.recent.push(processingMs);
    if (this.recent.length > RECENT_BATCHES) this.recent.shift();
  }

  /** How long the next batch is assumed to take. */
  get estimateMs(): number {
    return Math.max(2 * Math.max(0, ...this.recent), this.batchMs);
  }

  /**
   * Whether `count` batches from `nextBatchTime` on can all finish `marginMs` before the deadline, which
   * is `remainingMs` after `now`.
   */
  fits(nextBatchTime: number, now: number, remainingMs: number, count = 1): boolean {
    let end = now;
    for (let i = 0; i < count; i++) end = Math.max(end, nextBatchTime + i * this.batchMs) + this.estimateMs;
    return end <= now + remainingMs - this.marginMs;
  }
}

/**
 * Refuses a batch interval that a coordinator invocation cannot run: at worst it waits one interval for
 * the next batch time, runs a batch (assumed to take an interval) and hands over, all within the
 * invocation (15 minutes at most, less if the function's timeout is shorter).
 */
export function checkIntervalFits(
  job: string,
  batchMs: number,
  marginMs: number,
  invocationMs: number,
): void {
  // A function whose timeout is the Lambda maximum starts with a little less than 900 s left.
  const timeoutBound = invocationMs < LAMBDA_MAX_INVOCATION_MS - 10_000;
  const limitMs = timeoutBound ? invocationMs : LAMBDA_MAX_INVOCATION_MS;
  if (2 * batchMs + marginMs <= Math.min(limitMs, invocationMs)) return;
  const longest = Math.max(0, (limitMs - marginMs) / 2);
  throw new RuntimeError(
    `job '${job}' has a batch interval of ${seconds(batchMs)}, too long for a coordinator on Lambda: ` +
      `one invocation lasts at most ${seconds(limitMs)}${timeoutBound ? " (this function's timeout)" : ' (the Lambda limit)'} ` +
      `and must fit the wait for a batch time, one batch (at least one interval) and the ${seconds(marginMs)} ` +
      `hand-over margin, so the interval can be at most ${seconds(longest)}. ` +
      (timeoutBound
        ? "Raise the coordinator function's timeout (up to 900 s), use a shorter batch interval, "
        : 'Use a shorter batch interval, ') +
      'or run the job on the embedded runtime (npm start), which has no invocation limit.',
    { job, batchMs, limitMs, marginMs, longestBatchMs: longest },
  );
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

export interface LeaseWait {
  clock: Clock;
  /** The coordinator whose lease we wait to be handed (its owner id). */
  predecessor: string;
  pollMs?: number;
  /** Keep polling only while this returns true (e.g. enough of the invocation is left). */
  mayWait: () => boolean;
}

/**
 * Runs `attempt` (a coordinator start, which takes the lease) until it no longer fails with
 * LeaseHeldError: while the predecessor still holds the lease it is about to hand over (or that will
 * expire), poll every `pollMs`. Gives up, rethrowing the LeaseHeldError, when someone else holds the
 * lease (a watchdog's coordinator took over) or when `mayWait` says the time is up.
 */
export async function whenLeaseFree<T>(attempt: () => Promise<T>, wait: LeaseWait): Promise<T> {
  const pollMs = wait.pollMs ?? DEFAULT_LEASE_POLL_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof LeaseHeldError)) throw error;
      const holder = error.context.holder;
      // No holder named: a concurrent takeover raced us; the next read tells who won.
      if ((holder !== undefined && holder !== wait.predecessor) || !wait.mayWait()) throw error;
      await sleep(wait.clock, pollMs);
    }
  }
}

/**
 * A clock whose sleeps wait until it is open. The coordinator sleeps until each batch's time before
 * starting it, so a closed gate holds the next batch back until the runtime has decided it may start.
 */
export class GatedClock implements Clock {
  private gate: Promise<void>;
  private openGate!: () => void;
  private opened = false;

  constructor(private readonly inner: Clock) {
    this.gate = this.closedGate();
  }

  now(): number {
    return this.inner.now();
  }

  /** Background waits (lease renewal in a long stage) are not batches: the gate does not hold them. */
  async sleepUntil(time: number, options: SleepOptions = {}): Promise<void> {
    const { signal, background = false } = options;
    while (!background && !this.opened && !signal?.aborted)
      await Promise.race([this.gate, abortedOf(signal)]);
    if (signal?.aborted) return;
    return this.inner.sleepUntil(time, options);
  }

  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.openGate();
  }

  close(): void {
    if (!this.opened) return;
    this.opened = false;
    this.gate = this.closedGate();
  }

  private closedGate(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.openGate = resolve;
    });
  }
}

/**
 * The outgoing coordinator's successor: started once, at a chosen time or at once, never after it was
 * cancelled (the run failed first). `failure` keeps why a start failed.
 */
export class Succession {
  readonly event: SuccessorEvent;
  failure?: unknown;
  private requested?: () => void;
  private result?: Promise<boolean>;
  private cancelled = false;

  constructor(
    private readonly starter: SuccessorStarter | undefined,
    private readonly clock: Clock,
    event: SuccessorEvent,
    private readonly onStarted: (event: SuccessorEvent) => void,
  ) {
    this.event = event;
  }

  /** Starts the successor at `time` (or earlier, through `now()`); later calls change nothing. */
  scheduleAt(time: number): void {
    const starter = this.starter;
    if (this.result || !starter || this.cancelled) return;
    const requested = new Promise<void>((resolve) => {
      this.requested = resolve;
    });
    this.result = Promise.race([this.clock.sleepUntil(time), requested]).then(async () => {
      if (this.cancelled) return false;
      try {
        await starter.start(this.event);
        this.onStarted(this.event);
        return true;
      } catch (error) {
        this.failure = error;
        return false;
      }
    });
  }

  /** Starts the successor now unless it already was; true once it is on its way. */
  now(): Promise<boolean> {
    this.scheduleAt(this.clock.now());
    this.requested?.();
    return this.result ?? Promise.resolve(false);
  }

  /** Whether a successor was started (waits for a start in progress). */
  started(): Promise<boolean> {
    return this.result ?? Promise.resolve(false);
  }

  /** A start not yet made will not be made. */
  cancel(): void {
    this.cancelled = true;
    this.requested?.();
  }
}

/** Settles when `signal` aborts (never without one). */
function abortedOf(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
}
