import { UserFunctionError } from '../errors';
import { type Dependency, LineageNode, narrow, type TaskContext } from '../lineage';

/** Rows of one partition in, rows out; the whole partition at once so the hot path stays a plain loop. */
export type PartitionFunction<T, U> = (rows: T[], partition: number) => U[];

/** Any one-to-one-partition transformation: map, filter, flatMap, mapPartitions, glom, mapValues ... */
export class NarrowNode<T, U> extends LineageNode<U> {
  constructor(
    operator: string,
    readonly parent: LineageNode<T>,
    readonly fn: PartitionFunction<T, U>,
    preservesPartitioning = false,
  ) {
    super(operator, parent.numPartitions);
    if (preservesPartitioning) this.partitioner = parent.partitioner;
  }

  get dependencies(): readonly Dependency[] {
    return [narrow(this.parent)];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<U[]> {
    const rows = await this.parent.compute(partition, ctx);
    try {
      return this.fn(rows, partition);
    } catch (error) {
      throw new UserFunctionError(this.operator, this.id, partition, error);
    }
  }
}
