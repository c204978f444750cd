import { type Dependency, LineageNode, type TaskContext } from '../lineage';

/**
 * A stream's RDD at a checkpoint time, read back from the checkpoint. Lineage that reaches a checkpoint
 * stops here, so recovering a later partition never needs anything older.
 */
export class CheckpointNode<T> extends LineageNode<T> {
  constructor(
    readonly streamId: number,
    readonly checkpointTime: number,
    partitions: number,
    hashPartitioned: boolean,
  ) {
    super('checkpoint', partitions);
    if (hashPartitioned) this.partitioner = { partitions };
  }

  get dependencies(): readonly Dependency[] {
    return [];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<T[]> {
    return (await ctx.readCheckpoint(this.streamId, this.checkpointTime, partition)) as T[];
  }
}
