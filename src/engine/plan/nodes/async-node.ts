import { AsyncRecordError, UserFunctionError } from '../errors';
import { type Dependency, LineageNode, narrow, type TaskContext } from '../lineage';

/** Calls `f` on every row, at most `concurrency` calls in flight; results in row order. */
export type AsyncRecordFunction<T, U> = (value: T) => U | PromiseLike<U>;

/** A whole partition in, its rows out (an array, any iterable, or an async iterable). */
export type AsyncPartitionFunction<T, U> = (
  rows: T[],
  partition: number,
) => PromiseLike<Iterable<U>> | Iterable<U> | AsyncIterable<U>;

/**
 * mapAsync: one async call per row (enrichment from a table or an HTTP service), at most `concurrency`
 * in flight per partition. Rows come out in input order whatever order the calls finish in, so the
 * partition's bytes stay a function of its input. When a call fails, no new call starts, the calls in
 * flight are awaited (nothing is left running), and the failure names the row: an AsyncRecordError is a
 * UserFunctionError, so the task's record-error policy isolates or dead-letters the record as for map.
 */
export class AsyncMapNode<T, U> extends LineageNode<U> {
  constructor(
    operator: string,
    readonly parent: LineageNode<T>,
    private readonly f: AsyncRecordFunction<T, U>,
    private readonly concurrency: number,
  ) {
    super(operator, parent.numPartitions);
  }

  get dependencies(): readonly Dependency[] {
    return [narrow(this.parent)];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<U[]> {
    const rows = await this.parent.compute(partition, ctx);
    const out = new Array<U>(rows.length);
    let next = 0;
    let failed: { index: number; error: unknown } | undefined;
    // Of the calls that failed, the earliest row is named.
    const fail = (index: number, error: unknown) => {
      if (failed === undefined || index < failed.index) failed = { index, error };
    };
    const lane = async () => {
      while (failed === undefined && next < rows.length) {
        const index = next++;
        try {
          out[index] = await this.f(rows[index]);
        } catch (error) {
          fail(index, error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, rows.length) }, lane));
    if (failed) throw new AsyncRecordError(this.operator, this.id, partition, failed.index, failed.error);
    return out;
  }
}

/** mapPartitionsAsync: one async call per partition, which returns the partition's rows. */
export class AsyncPartitionsNode<T, U> extends LineageNode<U> {
  constructor(
    operator: string,
    readonly parent: LineageNode<T>,
    private readonly f: AsyncPartitionFunction<T, U>,
  ) {
    super(operator, parent.numPartitions);
  }

  get dependencies(): readonly Dependency[] {
    return [narrow(this.parent)];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<U[]> {
    const rows = await this.parent.compute(partition, ctx);
    try {
      return await rowsOf(await this.f(rows, partition));
    } catch (error) {
      throw new UserFunctionError(this.operator, this.id, partition, error);
    }
  }
}

async function rowsOf<U>(produced: Iterable<U> | AsyncIterable<U>): Promise<U[]> {
  if (Array.isArray(produced)) return produced;
  if (produced != null && typeof (produced as AsyncIterable<U>)[Symbol.asyncIterator] === 'function') {
    const rows: U[] = [];
    for await (const row of produced as AsyncIterable<U>) rows.push(row);
    return rows;
  }
  if (produced != null && typeof (produced as Iterable<U>)[Symbol.iterator] === 'function') {
    return Array.from(produced as Iterable<U>);
  }
  throw new TypeError(
    `mapPartitionsAsync must resolve to the partition's rows (an array or an iterable), got ${produced === null ? 'null' : typeof produced}`,
  );
}
