import { ConfigError } from '../util/errors';
import {
  AsyncMapNode,
  type AsyncPartitionFunction,
  AsyncPartitionsNode,
  type AsyncRecordFunction,
} from './nodes/async-node';
import { derived, type RDD } from './rdd-base';

export type { AsyncPartitionFunction, AsyncRecordFunction } from './nodes/async-node';

export interface MapAsyncOptions {
  /** Calls in flight at once within one partition (default 16). */
  concurrency?: number;
}

export const DEFAULT_ASYNC_CONCURRENCY = 16;

/** Transformations whose user code is async (lookups in a table or a service), on any dataset. */
export class AsyncRDDOperations<T> {
  /**
   * `f` of every row, awaited with at most `concurrency` calls in flight per partition; rows keep
   * their input order. `f` should give the same answer for the same row: a retried or recomputed
   * partition calls it again.
   */
  mapAsync<U>(this: RDD<T>, f: AsyncRecordFunction<T, U>, options: MapAsyncOptions = {}): RDD<U> {
    const concurrency = asyncConcurrency('mapAsync', options);
    checkFunction('mapAsync', f);
    return derived(this, () => new AsyncMapNode('mapAsync', this.node, f, concurrency));
  }

  /** `f` sees a whole partition (and its index) and resolves to the partition's new rows. */
  mapPartitionsAsync<U>(this: RDD<T>, f: AsyncPartitionFunction<T, U>): RDD<U> {
    checkFunction('mapPartitionsAsync', f);
    return derived(this, () => new AsyncPartitionsNode('mapPartitionsAsync', this.node, f));
  }
}

/** The concurrency an options object asks for; a ConfigError saying what is accepted otherwise. */
export function asyncConcurrency(operator: string, options: MapAsyncOptions | undefined): number {
  const concurrency = options?.concurrency ?? DEFAULT_ASYNC_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError(
      `${operator}: concurrency must be a whole number >= 1, got ${concurrency}; pass e.g. { concurrency: 16 }`,
      { operator, concurrency },
    );
  }
  return concurrency;
}

function checkFunction(operator: string, f: unknown): void {
  if (typeof f !== 'function') {
    throw new ConfigError(`${operator} needs a function, got ${f === null ? 'null' : typeof f}`, {
      operator,
    });
  }
}
