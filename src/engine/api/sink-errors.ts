import { SluiceError } from '../util/errors';

/** Base of errors in writing or reading a sink's output. */
export class SinkError extends SluiceError {}

/**
 * An output object of this batch already exists with different bytes: an earlier attempt of the batch
 * wrote other rows. Keeping either copy silently would break exactly-once output, so the batch stops.
 */
export class SinkOutputConflictError extends SinkError {}
