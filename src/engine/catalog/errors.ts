import { SluiceError } from '../util/errors';

/** Base of errors about the job's metadata: identity, lease, manifests, commits. */
export class CatalogError extends SluiceError {}

/** Another coordinator holds the job's lease and has not let it expire. */
export class LeaseHeldError extends CatalogError {}

/**
 * This coordinator's lease or batch was taken over by another coordinator: it must stop before any
 * further externally visible write.
 */
export class StaleCoordinatorError extends CatalogError {}

/** The job's stored identity does not match the job code (batch interval, partition counts). */
export class JobMismatchError extends CatalogError {}
