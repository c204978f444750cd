import type { RDD } from '../plan';
import { DStreamNode, type GraphHandle } from './dstream-node';
import type { Sink } from './sink';

export type OutputAction<T> =
  /** Runs on the coordinator with the batch's RDD; `rdd.collect()` runs the batch. */
  | { kind: 'foreachBatch'; fn: (rdd: RDD<T>, time: number) => void | Promise<void> }
  /** Tasks write each partition to the sink; the coordinator commits the batch. */
  | { kind: 'sink'; sink: Sink<T> };

/** An output operation: what makes the graph run. Outputs run in the order they were defined. */
export class OutputDStream<T> extends DStreamNode<T> {
  readonly outputIndex: number;

  constructor(
    graph: GraphHandle & { addOutput(output: OutputDStream<unknown>): number },
    private readonly source: DStreamNode<T>,
    readonly action: OutputAction<T>,
    operator: string,
  ) {
    super(graph, operator);
    this.requireSameGraph(source as DStreamNode<unknown>);
    this.outputIndex = graph.addOutput(this as OutputDStream<unknown>);
  }

  get parents(): readonly DStreamNode<unknown>[] {
    return [this.source as DStreamNode<unknown>];
  }

  protected compute(time: number): RDD<T> | undefined {
    return this.source.getOrCompute(time);
  }
}
