import { SluiceError } from '../util/errors';

/** Base of errors raised by the coordinator. */
export class ScheduleError extends SluiceError {}

/** A task failed on every allowed attempt. */
export class TaskFailedError extends ScheduleError {}

/** A batch could not be completed; no later batch is committed after it. */
export class BatchFailedError extends ScheduleError {
  constructor(
    readonly batchTime: number,
    readonly operator: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`batch ${batchTime} failed in ${operator}: ${reason}`, { batchTime, operator }, { cause });
  }
}

/** Where an injected coordinator crash can happen within a batch (chaos testing). */
export type CrashPoint = 'after-manifest' | 'mid-fanout' | 'before-commit' | 'after-commit';

/** An injected coordinator crash: the coordinator stops dead, writing and releasing nothing. */
export class CoordinatorCrash extends ScheduleError {
  constructor(
    readonly point: CrashPoint,
    readonly batchTime: number,
  ) {
    super(`injected coordinator crash ${point} of batch ${batchTime}`, { point, batchTime });
  }
}

/** The operator an error names in its context (UserFunctionError and friends), if any. */
export function operatorOf(error: unknown): string | undefined {
  const context = (error as { context?: Record<string, unknown> })?.context;
  return typeof context?.operator === 'string' ? context.operator : undefined;
}
