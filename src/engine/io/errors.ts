import { SluiceError } from '../util/errors';

/** Base of errors raised by I/O adapters (store, invoker, source). */
export class IoError extends SluiceError {}

export class StoreError extends IoError {}

export class InvokeError extends IoError {}

export class SourceError extends IoError {}
