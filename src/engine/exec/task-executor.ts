import type { Sink } from '../graph';
import type { RecordErrorPolicy } from '../graph/record-errors';
import type { Store } from '../io/ports';
import {
  type LineageNode,
  resultPartKey,
  type ShuffleDependency,
  shuffleFileKey,
  type TaskContext,
} from '../plan';
import { encodeRows, encodeShuffleFile } from './codec';
import { SinkWriteError } from './errors';
import { probeTask, runIsolating } from './record-isolation';
import { bucketPartitionForEach } from './shuffle-writer';
import type { StoreTaskContext } from './store-task-context';
import type { MapOutput, TaskSpec } from './task-spec';

/** One task's work with its lineage resolved: what both task processes and the coordinator run. */
export interface TaskWork {
  kind: TaskSpec['kind'];
  node: LineageNode<unknown>;
  partition: number;
  /** shuffleMap: the shuffles to write, all over the same parent, computed once. */
  shuffles?: readonly ShuffleDependency[];
  /** result: only the first rows are wanted (take()). */
  limit?: number;
  /** sink: where the rows go. */
  sink?: Sink<unknown>;
  /** Isolates records user code fails on (see record-isolation.ts); absent: a failure fails the task. */
  recordErrors?: RecordErrorPolicy;
  /** Batch the dead letters of isolated records are filed under. */
  batchTime: number;
}

export interface TaskOutcome {
  rows: number;
  bytes: number;
  mapOutputs?: MapOutput[];
  rowsBytes?: Uint8Array;
  deadLettered?: number;
  deadLetteredInputs?: string[];
}

/**
 * Runs a task over `ctx`: outputs go back in the outcome while they fit the context's inline budget and
 * to the store otherwise; persisted partitions are collected on the context. Ends once every write is
 * in the store.
 */
export async function executeTask(work: TaskWork, ctx: StoreTaskContext, store: Store): Promise<TaskOutcome> {
  const outcome = work.recordErrors
    ? await runIsolating({
        store,
        context: ctx,
        policy: work.recordErrors,
        batchTime: work.node.time > 0 ? work.node.time : work.batchTime,
        node: work.node.id,
        partition: work.partition,
        run: (runCtx) => perform(work, runCtx, ctx, store),
        sourceReads: () => ctx.sourceReads,
        probe: (probeCtx) =>
          probeTask(work.node, work.partition, probeCtx, work.shuffles, bucketPartitionForEach),
      })
    : await perform(work, ctx, ctx, store);
  await ctx.flush();
  return outcome;
}

/** The task's computation over `run` (the context of this run), its outputs sent through `task`. */
async function perform(
  work: TaskWork,
  run: TaskContext,
  task: StoreTaskContext,
  store: Store,
): Promise<TaskOutcome> {
  const { node, partition } = work;
  switch (work.kind) {
    case 'shuffleMap': {
      const shuffles = work.shuffles ?? [];
      const { buckets, rows } = await bucketPartitionForEach(shuffles, partition, run);
      const mapOutputs = await Promise.all(
        shuffles.map((dep, i) => sendOrStore(task, store, shuffleFileKey(dep, partition), buckets[i])),
      );
      return {
        rows,
        bytes: mapOutputs.reduce((sum, o) => sum + o.size, 0),
        mapOutputs: mapOutputs.map((o) => o.output),
      };
    }
    case 'result': {
      const rows = await node.compute(partition, run);
      const wanted = work.limit === undefined ? rows : rows.slice(0, work.limit);
      const bytes = encodeRows(wanted);
      if (task.claimInline(bytes.length))
        return { rows: wanted.length, bytes: bytes.length, rowsBytes: bytes };
      await store.put(resultPartKey(node, partition, work.limit), bytes);
      return { rows: wanted.length, bytes: bytes.length };
    }
    case 'materialize': {
      // Computing a persisted or checkpointed partition saves it (see LineageNode.compute).
      const rows = await node.compute(partition, run);
      return { rows: rows.length, bytes: 0 };
    }
    case 'sink': {
      const rows = await node.compute(partition, run);
      await writeToSink(work.sink!, rows, partition, node.numPartitions, run.batchTime, store);
      return { rows: rows.length, bytes: 0 };
    }
  }
}

async function sendOrStore(task: StoreTaskContext, store: Store, key: string, buckets: unknown[][]) {
  const { bytes, offsets } = encodeShuffleFile(buckets);
  if (task.claimInline(bytes.length)) return { size: bytes.length, output: { offsets, bytes } };
  await store.put(key, bytes);
  return { size: bytes.length, output: { offsets } };
}

async function writeToSink(
  sink: Sink<unknown>,
  rows: unknown[],
  partition: number,
  numPartitions: number,
  batchTime: number,
  store: Store,
): Promise<void> {
  try {
    await sink.writePartition(rows, { batchTime, partition, numPartitions, store });
  } catch (error) {
    const operator = `writeTo '${sink.name}'`;
    const reason = error instanceof Error ? error.message : String(error);
    throw new SinkWriteError(
      `${operator} failed on partition ${partition}: ${reason}`,
      { operator, partition },
      { cause: error },
    );
  }
}
