import { SluiceError } from '../util/errors';

/** Base of errors raised while running a task. */
export class ExecError extends SluiceError {}

/** A task description failed validation; `field` names the offending field. */
export class InvalidTaskSpecError extends ExecError {}

/** A partition, block or shuffle file the task needs is not in the store (recompute it from lineage). */
export class MissingDataError extends ExecError {}

/** Bytes in the store could not be decoded. */
export class CorruptDataError extends ExecError {}

/** A sink could not write a partition. */
export class SinkWriteError extends ExecError {}

/** A value that goes through a shuffle is not plain data (it holds a function, say). */
export class ShuffleValueError extends ExecError {}

/**
 * User code fails on an input record and the job said `onRecordError: 'fail'`, or more records fail
 * than the dead-letter limits allow: names the record's position (stream, shard, place in the batch).
 */
export class PoisonRecordError extends ExecError {}
