import type { BatchJob } from '../graph';
import type { Store } from '../io/ports';
import { IdScope, RDD } from '../plan';
import type { BatchJobRunner } from './job-runner';

export { writeCheckpoints } from './checkpoint-writer';

/**
 * Runs one output operation of a batch: a sink's tasks and then its commit (after `beforeCommit`, the
 * lease check), or driver code in foreachBatch over an RDD whose actions run as tasks.
 */
export async function runOutput(
  batchJob: BatchJob,
  runner: BatchJobRunner,
  store: Store,
  beforeCommit: () => Promise<void> | undefined,
): Promise<void> {
  const { output, rdd, time } = batchJob;
  const action = output.action;
  if (action.kind === 'sink') {
    const { sink } = action;
    if (sink.writeBatch) {
      // The rows come back in task results: one object for the batch instead of one per partition.
      const rows = await runner.collect(rdd.node);
      await beforeCommit();
      await sink.writeBatch(rows, { batchTime: time, numPartitions: 1, store });
      await sink.commitBatch({ batchTime: time, numPartitions: 1, store });
      return;
    }
    await runner.runFinal(rdd.node, { kind: 'sink', sink, output: output.outputIndex });
    await beforeCommit();
    await sink.commitBatch({ batchTime: time, numPartitions: rdd.numPartitions, store });
    return;
  }
  const driverRdd = new RDD(rdd.node, {
    collect: (node) => runner.collect(node),
    take: (node, n) => runner.take(node, n),
    scope: new IdScope(`d${output.outputIndex}`, time, false),
  });
  await action.fn(driverRdd, time);
}
