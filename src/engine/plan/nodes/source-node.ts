import { MissingInputError } from '../errors';
import { type Dependency, LineageNode, type TaskContext } from '../lineage';

export interface SourceReads<T> {
  /** Sources that tasks read by range themselves (no blocks at all). */
  direct?: (partition: number, ctx: TaskContext) => Promise<T[]>;
  /** Re-reads a lost block from the ranges recorded in the batch manifest. */
  replay?: (partition: number, ctx: TaskContext) => Promise<T[]>;
}

/**
 * The records one input stream received in one interval: blocks the coordinator wrote, or, for sources
 * that can read a partition directly, the partition read by the task itself. A lost block is read again
 * from the source by its recorded range.
 */
export class SourceNode<T> extends LineageNode<T> {
  constructor(
    readonly streamId: number,
    readonly batchTime: number,
    partitions: number,
    private readonly reads: SourceReads<T> = {},
  ) {
    super('input', partitions);
  }

  get dependencies(): readonly Dependency[] {
    return [];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<T[]> {
    const rows = await this.readPartition(partition, ctx);
    return ctx.inputRecords
      ? (ctx.inputRecords(this.streamId, this.batchTime, partition, rows) as T[])
      : rows;
  }

  /** Every record of the partition, as the source gave it. */
  private async readPartition(partition: number, ctx: TaskContext): Promise<T[]> {
    if (this.reads.direct) return this.reads.direct(partition, ctx);
    const block = await ctx.readInputBlock(this.streamId, this.batchTime, partition);
    if (block) return block as T[];
    if (!this.reads.replay) {
      throw new MissingInputError(
        `input block ${partition} of stream ${this.streamId} at ${this.batchTime} is lost and its source cannot replay it`,
        { streamId: this.streamId, batchTime: this.batchTime, partition },
      );
    }
    return this.reads.replay(partition, ctx);
  }
}
