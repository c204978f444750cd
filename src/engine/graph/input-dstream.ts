import type { Source } from '../io/ports';
import { type RDD, SourceNode } from '../plan';
import { DStreamNode, type GraphHandle } from './dstream-node';

/** A stream read from a replayable source; the coordinator writes each interval's records as blocks. */
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

  protected compute(time: number): RDD<T> {
    return this.wrap(new SourceNode<T>(this.id, time, this.partitions));
  }
}
