import { PlanError, UserFunctionError } from '../errors';
import { type Dependency, LineageNode, narrow, type TaskContext } from '../lineage';

/** A partition's rows and the side dataset's rows in, the partition's new rows out. */
export type SideInputFunction<T, S, U> = (rows: T[], side: S[], partition: number) => U[];

/**
 * Partition i of the parent, computed with the whole of a one-partition side dataset: a summary of the
 * parent built in the same batch's lineage (range bounds for a sort, partition sizes for zipWithIndex).
 * Spark computes such summaries with a separate job on the driver; as lineage they also work inside
 * transform and are rebuilt by any task that needs them.
 */
export class SideInputNode<T, S, U> extends LineageNode<U> {
  constructor(
    operator: string,
    readonly parent: LineageNode<T>,
    readonly side: LineageNode<S>,
    readonly fn: SideInputFunction<T, S, U>,
  ) {
    super(operator, parent.numPartitions);
    if (side.numPartitions !== 1) {
      throw new PlanError(
        `${operator}: a side input must have one partition, ${side} has ${side.numPartitions}`,
        {
          node: this.id,
          side: side.id,
        },
      );
    }
  }

  get dependencies(): readonly Dependency[] {
    return [narrow(this.parent), narrow(this.side)];
  }

  override narrowReads(partition: number): [LineageNode<unknown>, number][] {
    return [
      [this.parent, partition],
      [this.side, 0],
    ];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<U[]> {
    const [rows, side] = await Promise.all([this.parent.compute(partition, ctx), this.side.compute(0, ctx)]);
    try {
      return this.fn(rows, side, partition);
    } catch (error) {
      throw new UserFunctionError(this.operator, this.id, partition, error);
    }
  }
}
