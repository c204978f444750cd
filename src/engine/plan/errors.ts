import { SluiceError } from '../util/errors';

/** Base of errors raised while building or evaluating lineage. */
export class PlanError extends SluiceError {}

/** A user function (map, reduce, filter, ...) threw while computing a partition. */
export class UserFunctionError extends PlanError {
  constructor(
    readonly operator: string,
    readonly nodeId: string,
    readonly partition: number,
    cause: unknown,
    /** The key being merged, when the function runs per key (reduce side of a shuffle). */
    readonly key?: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const at = key === undefined ? '' : ` at key ${describeKey(key)}`;
    super(
      `${operator} failed on partition ${partition} (${nodeId})${at}: ${reason}`,
      key === undefined
        ? { operator, nodeId, partition }
        : { operator, nodeId, partition, key: describeKey(key) },
      {
        cause,
      },
    );
  }
}

/** A short, readable form of a key for error messages. */
function describeKey(key: unknown): string {
  let text: string;
  try {
    text = typeof key === 'string' ? JSON.stringify(key) : (JSON.stringify(key) ?? String(key));
  } catch {
    text = String(key);
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** An action such as collect() was called where it cannot run (outside foreachBatch). */
export class ActionNotAvailableError extends PlanError {}

/** An action that needs at least one element (first) ran on an empty dataset, as Spark's "empty collection". */
export class EmptyCollectionError extends PlanError {}

/** Lineage refers to a node this process cannot rebuild. */
export class UnknownNodeError extends PlanError {}

/** Data lineage needs is gone and cannot be rebuilt here (e.g. an input block of a non-replayable source). */
export class MissingInputError extends PlanError {}

/** An async user function (mapAsync) failed on one record; `record` is its index in the partition. */
export class AsyncRecordError extends UserFunctionError {
  constructor(
    operator: string,
    nodeId: string,
    partition: number,
    readonly record: number,
    cause: unknown,
  ) {
    super(operator, nodeId, partition, cause);
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.message = `${operator} failed on record ${record} of partition ${partition} (${nodeId}): ${reason}`;
    this.context.record = record;
  }
}

/**
 * A synchronous operator (map, filter ...) was given a function that returns a Promise: its rows would
 * be promises, not values. Not a record's fault, so it is never dead-lettered.
 */
export class PromiseReturnedError extends PlanError {}
