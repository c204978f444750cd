import { type DStream, ManualClock, MemoryStore, StreamingContext } from '../../../src/engine';
import { runTask, type TaskResult, type TaskSpec } from '../../../src/engine/exec';
import { InProcessInvoker } from '../../../src/engine/io/in-process-invoker';
import { Coordinator } from '../../../src/engine/schedule';

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
  /** Persisted partitions of earlier batches shipped in task requests (state and window slices). */
  const shipped: string[] = [];
  const invoker = new InProcessInvoker<TaskSpec, TaskResult>((spec) => {
    for (const [key, bytes] of Object.entries(spec.inputs?.stored ?? {})) if (bytes) shipped.push(key);
    return runTask(spec, { store, graphFor: () => ssc.graph });
  }, 2);
  const clock = new ManualClock(0, { autoAdvance: true });
  ssc.start({ store, invoker, clock, zeroTime: 0, batches: 0, retry: { backoffMs: 0 } });
  let coordinator: Coordinator | undefined;
  return {
    store,
    ssc,
    outputs,
    shipped,
    async run(batches: number) {
      await ssc.awaitTermination();
      await (coordinator ?? ssc.coordinator!).run({ batches });
    },
    /** The coordinator process is lost: a new one goes on from the store alone, holding nothing. */
    loseCoordinator() {
      const graph = ssc.graph;
      coordinator = new Coordinator({ job: 'test', graph, store, invoker, clock, retry: { backoffMs: 0 } });
    },
  };
}
