import { SluiceError } from '../util/errors';

/** Base of errors raised by I/O adapters (store, invoker, source). */
export class IoError extends SluiceError {}

export class StoreError extends IoError {}

/** A store location (SLUICE_STORE, a dataset or sink location) that names no usable store. */
export class StoreLocationError extends StoreError {}

/**
 * A conditional write found the object created or changed by another writer: someone else won. Domain
 * code turns it into its own meaning (lease taken over, batch already committed).
 */
export class ConditionFailedError extends StoreError {}

/** True for ConditionFailedError, also after it crossed a thread boundary as a RemoteError. */
export function isConditionFailed(error: unknown): boolean {
  if (error instanceof ConditionFailedError) return true;
  return (error as { remoteName?: unknown } | undefined)?.remoteName === 'ConditionFailedError';
}

export class InvokeError extends IoError {}

/** The caller no longer wanted the result (another copy of the task won) before the task started. */
export class InvokeCancelledError extends InvokeError {}

export class SourceError extends IoError {}
