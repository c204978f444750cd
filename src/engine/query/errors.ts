import { SluiceError } from '../util/errors';

/** Base of errors about ad-hoc queries of a job's committed batches (snapshot, `npm run query`). */
export class QueryError extends SluiceError {}

/** The query names a stream the job does not name with `named()`. */
export class UnknownStreamError extends QueryError {}

/** The job has no committed batch (of the named stream) to query yet. */
export class NoCommittedBatchError extends QueryError {}

/** The requested batch time is not committed, not a time of the stream, or no longer retained. */
export class BatchNotQueryableError extends QueryError {}

/** The job code does not match what the store recorded for the job (name, interval, partitions). */
export class QueryJobMismatchError extends QueryError {}

/** An action on the snapshot (collect, take) failed; the running job is not affected. */
export class QueryFailedError extends QueryError {}
