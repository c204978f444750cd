import { QueueSource } from '../io/queue-source';
import type { RDD } from '../plan';
import type { GraphHandle } from './dstream-node';
import { InputDStream } from './input-dstream';

/**
 * An input that receives no records and whose RDD at every time is the one `make` builds (Spark's
 * ConstantInputDStream): how a batch job's dataset runs as a batch of the streaming engine, with the
 * same planner, tasks, lineage recovery, manifests and sinks. `make` runs in the stream's id scope, so
 * every process builds the same lineage ids.
 */
export class ConstantInputDStream<T> extends InputDStream<T> {
  constructor(
    graph: GraphHandle,
    name: string,
    partitions: number,
    private readonly make: (time: number) => RDD<T>,
  ) {
    super(graph, name, new QueueSource<T>(name, []), partitions);
  }

  protected override compute(time: number): RDD<T> {
    return this.make(time);
  }
}
