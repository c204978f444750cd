import { type DStream, ManualClock, MemoryStore, StreamingContext } from '../../../src/engine';
import { runTask, type TaskResult, type TaskSpec } from '../../../src/engine/exec';
import { InProcessInvoker } from '../../../src/engine/io/in-process-invoker';

/** A memory store that counts reads of persisted partitions per batch, by the batch time of the data. */
export class CountingStore extends MemoryStore {
  storedReads: string[] = [];

  override async get(key: string): Promise<Uint8Array | undefined> {
    const bytes = await super.get(key);
    if (bytes && key.includes('/stored/')) this.storedReads.push(key);
    return bytes;
  }
}

/**
 * A context that can be driven batch by batch (run some, tamper with the store, run more), with the
 * real coordinator, tasks and store on a manual clock.
 */
export function steppedContext<T>(
  inputs: T[][],
  build: (s: DStream<T>) => DStream<unknown>,
  options: { batchMs?: number; partitions?: number } = {},
) {
  const store = new CountingStore();
  const ssc = new StreamingContext({
    batchInterval: options.batchMs ?? 1000,
    partitions: options.partitions ?? 2,
    name: 'test',
  });
  const outputs = new Map<number, unknown[]>();
  build(ssc.queueStream(inputs)).foreachBatch(async (rdd, time) => {
    outputs.set(time, await rdd.collect());
  });
  const invoker = new InProcessInvoker<TaskSpec, TaskResult>(
    (spec) => runTask(spec, { store, graphFor: () => ssc.graph }),
    2,
  );
  ssc.start({
    store,
    invoker,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: 0,
    retry: { backoffMs: 0 },
  });
  return {
    store,
    ssc,
    outputs,
    async run(batches: number) {
      await ssc.awaitTermination();
      await ssc.coordinator!.run({ batches });
    },
  };
}
