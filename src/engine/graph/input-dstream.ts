import type { DirectRead, Source, SourceInterval } from '../io/ports';
import { type RDD, SourceNode, type TaskContext } from '../plan';
import { splitEvenly } from '../util/split';
import { DStreamNode, type GraphHandle } from './dstream-node';

/** A stream read from a replayable source; each interval becomes one RDD of `partitions` partitions. */
export class InputDStream<T> extends DStreamNode<T> {
  constructor(
    graph: GraphHandle,
    readonly name: string,
    readonly source: Source<T>,
    readonly partitions: number,
  ) {
    super(graph, `input '${name}'`);
  }

  get parents(): readonly DStreamNode<unknown>[] {
    return [];
  }

  /** Which interval of the source the batch at `time` covers. */
  interval(time: number): SourceInterval {
    const batchIndex = Math.round((time - this.graph.zeroTime) / this.graph.batchMs) - 1;
    return { batchIndex, batchTime: time, intervalMs: this.graph.batchMs };
  }

  override get storedPartitions(): number {
    return this.partitions;
  }

  protected compute(time: number): RDD<T> {
    const { direct, replay } = this.source;
    const interval = this.interval(time);
    return this.wrap(
      new SourceNode<T>(this.id, time, this.partitions, {
        direct: direct ? (partition, ctx) => this.readDirect(direct, interval, partition, ctx) : undefined,
        replay: replay ? (partition, ctx) => this.replayBlock(interval, partition, ctx) : undefined,
      }),
    );
  }

  /**
   * A task reads its partition from the source by the batch's recorded ranges, and reports what it read
   * of planned ranges so the coordinator commits it (and the next batch continues after it).
   */
  private async readDirect(
    direct: DirectRead<T>,
    interval: SourceInterval,
    partition: number,
    ctx: TaskContext,
  ): Promise<T[]> {
    const time = interval.batchTime;
    const part = await direct.readPartition(interval, partition, this.partitions, () =>
      ctx.readInputRanges(this.id, time),
    );
    if (part.ranges) {
      ctx.reportSourceRead?.({
        stream: this.id,
        name: this.name,
        time,
        partition,
        ranges: part.ranges,
        deadLetters: part.deadLetters ?? [],
      });
    }
    return part.records;
  }

  /** Reads the batch's recorded ranges again, splits them as the coordinator did, and restores the block. */
  private async replayBlock(interval: SourceInterval, partition: number, ctx: TaskContext): Promise<T[]> {
    const ranges = await ctx.readInputRanges(this.id, interval.batchTime);
    const records = await this.source.replay!(ranges, interval);
    const block = splitEvenly(records, this.partitions)[partition];
    await ctx.writeInputBlock(this.id, interval.batchTime, partition, block);
    return block;
  }
}
