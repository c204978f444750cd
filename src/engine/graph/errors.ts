import { SluiceError } from '../util/errors';

/** Base of errors in defining or validating the D-Stream graph. */
export class GraphError extends SluiceError {}

/** The graph cannot run as defined (no outputs, streams from two contexts, bad durations ...). */
export class InvalidGraphError extends GraphError {}

/** A per-batch transform function (transform, transformWith, or an operator built on them) threw. */
export class TransformError extends GraphError {}

/** A mapWithState function used its KeyState wrongly (get() without state, update() while timing out ...). */
export class StateAccessError extends GraphError {}

/** Driver code asked a stream for a batch it no longer remembers, or does not have yet (slice). */
export class NotRememberedError extends GraphError {}
