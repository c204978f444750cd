import { IoError } from './errors';

/** Base of errors about a job's datasets (objects under a location read as partitions). */
export class DatasetError extends IoError {}

/** The location holds no objects, or cannot be listed: a join with it would silently match nothing. */
export class DatasetEmptyError extends DatasetError {}

/** An object changed or vanished after the job recorded the dataset's listing. */
export class DatasetChangedError extends DatasetError {}

/** A task found no recorded listing, or a listing it cannot read. */
export class DatasetListingError extends DatasetError {}

/** An object's bytes could not be decoded into rows (bad JSON line, a decoder that threw). */
export class DatasetDecodeError extends DatasetError {}
