import { type Dependency, LineageNode, type TaskContext } from '../lineage';

/** The records one input stream received in one interval, as blocks written by the coordinator. */
export class SourceNode<T> extends LineageNode<T> {
  constructor(
    readonly streamId: number,
    readonly batchTime: number,
    partitions: number,
  ) {
    super('input', partitions);
  }

  get dependencies(): readonly Dependency[] {
    return [];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<T[]> {
    return (await ctx.readInputBlock(this.streamId, this.batchTime, partition)) as T[];
  }
}
