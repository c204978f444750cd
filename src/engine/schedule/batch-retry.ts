import type { Clock } from '../io/ports';
import type { BatchInfo } from './batch-info';
import { BatchFailedError, isRetryableBatchFailure, operatorOf } from './errors';
import type { ListenerBus } from './listener-bus';

export interface BatchRetryPolicy {
  clock: Clock;
  bus: ListenerBus;
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First wait (default 1 s), doubling, at most 30 s. */
  backoffMs?: number;
  /** When the coordinator must be done: no retry starts that could not finish by then. */
  deadline?: () => number;
  /** Keeps the lease alive while an attempt runs; returns the function that stops it. */
  keepAlive?: () => (() => void) | undefined;
}

/**
 * Runs a batch; a failure that may pass (store, source or invoke trouble) is retried in place with
 * backoff before the run gives up. Failures of user code repeat deterministically and are not retried.
 * Every failed attempt is posted, with the wait before the next one when there is a next one.
 */
export async function runWithBatchRetries(
  time: number,
  attempt: () => Promise<BatchInfo>,
  policy: BatchRetryPolicy,
): Promise<BatchInfo> {
  const { clock, bus, deadline } = policy;
  const retries = policy.retries ?? 3;
  const base = policy.backoffMs ?? 1000;
  for (let n = 0; ; n++) {
    const started = clock.now();
    // A slow stage must not let the lease run out under a healthy coordinator.
    const stopRenewing = policy.keepAlive?.();
    try {
      return await attempt();
    } catch (error) {
      const failed = {
        batchTime: time,
        operator: operatorOf(error) ?? 'batch',
        error: error as Error,
        attempt: n,
      };
      const waitMs = Math.min(30_000, base * 2 ** n);
      // A retry takes about as long as the failed attempt did, after the wait.
      const wouldEndAt = clock.now() + waitMs + (clock.now() - started);
      const retryable = error instanceof BatchFailedError && n < retries && isRetryableBatchFailure(error);
      if (!retryable || (deadline && wouldEndAt > deadline())) {
        bus.post('onBatchFailed', failed);
        throw error;
      }
      bus.post('onBatchFailed', { ...failed, retryInMs: waitMs });
      bus.post('onCoordinatorNotice', {
        message: `batch ${time} failed (${(error as Error).message}); retrying in ${waitMs} ms`,
        batchTime: time,
      });
      await clock.sleepUntil(clock.now() + waitMs);
    } finally {
      stopRenewing?.();
    }
  }
}
