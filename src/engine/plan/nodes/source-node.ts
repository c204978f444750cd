import { type Dependency, LineageNode, type TaskContext } from '../lineage';

/**
 * The records one input stream received in one interval: blocks the coordinator wrote, or, for sources
 * that can read a partition directly (`readDirect`), the partition read by the task itself.
 */
export class SourceNode<T> extends LineageNode<T> {
  constructor(
    readonly streamId: number,
    readonly batchTime: number,
    partitions: number,
    private readonly readDirect?: (partition: number) => Promise<T[]>,
  ) {
    super('input', partitions);
  }

  get dependencies(): readonly Dependency[] {
    return [];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<T[]> {
    if (this.readDirect) return this.readDirect(partition);
    return (await ctx.readInputBlock(this.streamId, this.batchTime, partition)) as T[];
  }
}
