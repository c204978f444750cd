import { SluiceError } from '../util/errors';

/** Base of errors raised by the coordinator. */
export class ScheduleError extends SluiceError {}

/** A batch's checkpoint could not be saved whole. */
export class CheckpointWriteError extends ScheduleError {}

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

/** Failures of the world around the batch (store, source, invocation), which may pass on a retry. */
const PASSING = new Set([
  'IoError',
  'StoreError',
  'InvokeError',
  'SourceError',
  'MissingDataError',
  'CorruptDataError',
  'TimeoutError',
]);
/** Failures that would repeat: user code, the graph, configuration. */
const REPEATING = new Set([
  'UserFunctionError',
  'ConditionFailedError',
  'StaleCoordinatorError',
  'JobMismatchError',
]);

/**
 * Whether running a failed batch again may succeed: some error in its cause chain is an I/O failure
 * (also when it crossed a thread or Lambda boundary), and none is a deterministic one.
 */
export function isRetryableBatchFailure(error: unknown): boolean {
  let passing = false;
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const name = (e as { remoteName?: string }).remoteName ?? e.name;
    if (REPEATING.has(name)) return false;
    if (PASSING.has(name) || e.constructor.name === 'StoreError') passing = true;
  }
  return passing;
}
