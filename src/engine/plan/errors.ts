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
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `${operator} failed on partition ${partition} (${nodeId}): ${reason}`,
      { operator, nodeId, partition },
      {
        cause,
      },
    );
  }
}

/** An action such as collect() was called where it cannot run (outside foreachBatch). */
export class ActionNotAvailableError extends PlanError {}

/** Lineage refers to a node this process cannot rebuild. */
export class UnknownNodeError extends PlanError {}

/** Data lineage needs is gone and cannot be rebuilt here (e.g. an input block of a non-replayable source). */
export class MissingInputError extends PlanError {}
