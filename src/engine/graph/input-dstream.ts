import type { Source, SourceInterval } from '../io/ports';
import { type RDD, SourceNode } from '../plan';
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

  protected compute(time: number): RDD<T> {
    const direct = this.source.direct;
    const interval = this.interval(time);
    const readDirect = direct
      ? (partition: number) => direct.readPartition(interval, partition, this.partitions)
      : undefined;
    return this.wrap(new SourceNode<T>(this.id, time, this.partitions, readDirect));
  }
}
