import { SluiceError } from '../util/errors';

/** Base of errors in wiring a runtime: loading jobs, reading configuration. */
export class RuntimeError extends SluiceError {}

export class JobLoadError extends RuntimeError {}
