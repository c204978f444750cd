/** The lease lives with the job's metadata; kept here for importers of the schedule layer. */
export { Lease, LeaseHeldError, StaleCoordinatorError } from '../catalog';
