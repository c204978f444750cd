/**
 * The one retry policy of the I/O adapters: a bounded number of attempts, exponential backoff with
 * "equal" jitter (each wait is between half and all of the doubling step, so a throttled fleet spreads
 * out but still waits), and waits that go through the Clock port, so tests run them on a ManualClock.
 *
 * Give AWS SDK clients whose calls go through here `maxAttempts: 1` (aws-clients.ts does): otherwise the
 * SDK's own retries multiply these.
 */
import { ConfigError } from '../util/errors';
import { isRetryableAwsError, retryAfterMs } from './aws-errors';
import { SystemClock } from './clock';
import type { Clock } from './ports';

export interface RetryOptions {
  /** Tries in all, the first one included (1: never retry). */
  maxAttempts: number;
  /** Backoff before the first retry; it doubles with each further retry... */
  baseMs: number;
  /** ...up to this. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 7, baseMs: 100, maxMs: 5000 };

/** A validated RetryOptions plus where the waits happen. */
export interface RetryPolicy extends RetryOptions {
  clock: Clock;
  /** Jitter source; Math.random unless a test pins it. */
  random: () => number;
}

export interface RetryPolicyOptions extends Partial<RetryOptions> {
  clock?: Clock;
  random?: () => number;
}

/** Fills in defaults and rejects options that cannot work, naming `what` they configure. */
export function retryPolicy(
  options: RetryPolicyOptions = {},
  defaults: RetryOptions = DEFAULT_RETRY,
  what = 'retry',
): RetryPolicy {
  const merged = {
    maxAttempts: options.maxAttempts ?? defaults.maxAttempts,
    baseMs: options.baseMs ?? defaults.baseMs,
    maxMs: options.maxMs ?? defaults.maxMs,
  };
  if (!Number.isInteger(merged.maxAttempts) || merged.maxAttempts < 1) {
    throw new ConfigError(
      `${what}.maxAttempts must be a whole number of tries of at least 1 (1 never retries), not ${String(merged.maxAttempts)}`,
      { ...merged },
    );
  }
  if (!(merged.baseMs >= 0) || !Number.isFinite(merged.baseMs)) {
    throw new ConfigError(`${what}.baseMs must be a finite number of ms >= 0, not ${String(merged.baseMs)}`, {
      ...merged,
    });
  }
  if (!(merged.maxMs >= merged.baseMs) || !Number.isFinite(merged.maxMs)) {
    throw new ConfigError(`${what}.maxMs must be finite and at least ${what}.baseMs (${merged.baseMs})`, {
      ...merged,
    });
  }
  return { ...merged, clock: options.clock ?? new SystemClock(), random: options.random ?? Math.random };
}

/**
 * The wait before retry number `retry` (1 for the first retry): equal jitter over
 * `min(maxMs, baseMs * 2^(retry-1))`, but at least what the service asked for (Retry-After), within maxMs.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, askedMs?: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1));
  const jittered = ceiling / 2 + (policy.random() * ceiling) / 2;
  return Math.round(Math.max(jittered, Math.min(policy.maxMs, askedMs ?? 0)));
}

/** Why the last attempt failed and whether it may be retried, for the caller's final error. */
export interface RetryFailure {
  error: unknown;
  /** Attempts made, the failed one included. */
  attempts: number;
  /** The failure was retryable, and the attempts ran out. */
  exhausted: boolean;
}

export interface RetryHooks {
  /** Whether a failure may be retried; default isRetryableAwsError (throttling and transient errors). */
  retryable?: (error: unknown) => boolean;
  /** Turns the final failure into the error to throw; default: the failure itself. */
  giveUp?: (failure: RetryFailure) => unknown;
  /** Called before each wait, e.g. to count throttles. */
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  /** Checked after each wait: when it returns an error, that is thrown instead of trying again. */
  stop?: (error: unknown) => unknown;
}

/** Runs `attempt` until it succeeds, a failure is not retryable, or the attempts run out. */
export async function withRetry<R>(
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<R>,
  hooks: RetryHooks = {},
): Promise<R> {
  const retryable = hooks.retryable ?? isRetryableAwsError;
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt(attempts);
    } catch (error) {
      const canRetry = retryable(error);
      if (!canRetry || attempts >= policy.maxAttempts) {
        throw hooks.giveUp ? hooks.giveUp({ error, attempts, exhausted: canRetry }) : error;
      }
      const delay = backoffDelay(policy, attempts, retryAfterMs(error));
      hooks.onRetry?.(error, attempts, delay);
      await sleep(policy.clock, delay);
      const stopped = hooks.stop?.(error);
      if (stopped !== undefined) throw stopped;
    }
  }
}

/** Waits `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return ms > 0 ? clock.sleepUntil(clock.now() + ms) : Promise.resolve();
}
