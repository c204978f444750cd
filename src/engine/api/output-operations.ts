import { OutputDStream, type Sink } from '../graph';
import type { RDD } from '../plan';
import { runAsDriverOf } from './driver-batch';
import type { DStream } from './dstream-base';

/** What a job does with every batch of a stream: the nodes the coordinator runs batches for. */
export class OutputOperations<T> {
  /** Runs `fn` on the coordinator for every batch; `rdd.collect()` inside it runs the batch. */
  foreachBatch(this: DStream<T>, fn: (rdd: RDD<T>, time: number) => void | Promise<void>): void {
    const run = (rdd: RDD<T>, time: number) => runAsDriverOf(rdd.runner, () => fn(rdd, time));
    new OutputDStream(this.context.graph, this.node, { kind: 'foreachBatch', fn: run }, 'foreachBatch');
  }

  /** Prints the first `n` elements of every batch, as Spark's `print()` does. */
  print(this: DStream<T>, n = 10): void {
    const log = this.context.log;
    new OutputDStream(
      this.context.graph,
      this.node,
      {
        kind: 'foreachBatch',
        fn: async (rdd, time) => {
          const first = await rdd.take(n + 1);
          const lines = [
            '-------------------------------------------',
            `Time: ${time} ms`,
            '-------------------------------------------',
          ];
          for (const value of first.slice(0, n)) lines.push(formatValue(value));
          if (first.length > n) lines.push('...');
          log(`${lines.join('\n')}\n`);
        },
      },
      'print',
    );
  }

  /** Writes every batch to `sink`, one write per partition, committed once the batch is complete. */
  writeTo(this: DStream<T>, sink: Sink<T>): void {
    new OutputDStream(this.context.graph, this.node, { kind: 'sink', sink }, `writeTo '${sink.name}'`);
  }
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `(${value.map(formatValue).join(',')})`;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
