import { SluiceError } from '../util/errors';

/** Base of the dashboard's errors. */
export class UiError extends SluiceError {}

/** The dashboard could not listen where asked (port in use, address not local). */
export class DashboardListenError extends UiError {}

/** The job's store could not be read (unreachable, no permission). */
export class StoreUnreadableError extends UiError {}

/** The store holds no record or no batch of the job: nothing to show. */
export class NoBatchesError extends UiError {}
