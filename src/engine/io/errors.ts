import { SluiceError } from '../util/errors';

/** Base of errors raised by I/O adapters (store, invoker, source). */
export class IoError extends SluiceError {}

export class StoreError extends IoError {}

export class InvokeError extends IoError {}

/** The caller no longer wanted the result (another copy of the task won) before the task started. */
export class InvokeCancelledError extends InvokeError {}

export class SourceError extends IoError {}
