import { UserFunctionError } from '../errors';
import { type Dependency, LineageNode, narrow, type TaskContext } from '../lineage';

/** One input row in, any number of rows out through `emit`. */
export type RecordStep<T, U> = (value: T, emit: (row: U) => void) => void;

/**
 * A record-at-a-time transformation (map, flatMap, filter, mapValues ...). Consecutive record nodes fuse:
 * each pushes its rows straight into the next, so a pipeline allocates no intermediate partition arrays.
 */
export class RecordNode<T, U> extends LineageNode<U> {
  constructor(
    operator: string,
    readonly parent: LineageNode<T>,
    readonly step: RecordStep<T, U>,
    /** True for operators that never change a row's key (filter, mapValues ...). */
    preservesPartitioning = false,
  ) {
    super(operator, parent.numPartitions);
    if (preservesPartitioning) this.partitioner = parent.partitioner;
  }

  get dependencies(): readonly Dependency[] {
    return [narrow(this.parent)];
  }

  override async forEach(partition: number, ctx: TaskContext, emit: (row: U) => void): Promise<void> {
    const given = ctx.precomputed?.(this, partition);
    if (given) {
      const rows = (await given) as U[];
      for (let i = 0; i < rows.length; i++) emit(rows[i]);
      return;
    }
    // Persisted rows come from (or go to) the store as a whole partition: compute() handles that.
    if (this.persisted || this.checkpointOf !== undefined) return super.forEach(partition, ctx, emit);
    return this.pipe(partition, ctx, emit);
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<U[]> {
    const rows: U[] = [];
    await this.pipe(partition, ctx, (row) => rows.push(row));
    return rows;
  }

  /** Pushes the parent's rows through this node's step into `emit`. */
  private pipe(partition: number, ctx: TaskContext, emit: (row: U) => void): Promise<void> {
    const step = this.step;
    return this.parent.forEach(partition, ctx, (value) => {
      try {
        step(value, emit);
      } catch (error) {
        // Errors of operators further down the chain were already attributed by them.
        if (error instanceof UserFunctionError) throw error;
        throw new UserFunctionError(this.operator, this.id, partition, error);
      }
    });
  }
}
