import type { DStreamGraph, Sink } from '../graph';
import type { Store } from '../io/ports';
import {
  type LineageNode,
  resultPartKey,
  type ShuffleDependency,
  shuffleFileKey,
  type TaskContext,
} from '../plan';
import { encodeRows, encodeShuffleFile } from './codec';
import { ExecError, SinkWriteError } from './errors';
import { probeTask, runIsolating } from './record-isolation';
import { bucketPartition, bucketPartitionForEach } from './shuffle-writer';
import { StoreTaskContext } from './store-task-context';
import { parseTaskSpec, type TaskResult, type TaskSpec } from './task-spec';

/** What a task process provides: the job's store and a way to build the job's graph from its code. */
export interface TaskEnvironment {
  store: Store;
  graphFor(job: string, zeroTime: number): DStreamGraph | Promise<DStreamGraph>;
}

/** The one task entry point: the worker-thread pool and the Lambda task handler both call this. */
export async function runTask(request: unknown, env: TaskEnvironment): Promise<TaskResult> {
  const spec = parseTaskSpec(request);
  const started = Date.now();
  const graph = await env.graphFor(spec.job, spec.zeroTime);
  // A warm task process serves batch after batch: drop lineage no task of this batch can reach.
  graph.forget(spec.batchTime - graph.batchMs);
  const node = graph.findNode(spec.node, spec.batchTime);
  const ctx = new StoreTaskContext(spec.batchTime, env.store, spec.shuffleOffsets);
  // User code failing on input records: isolate them (graph.recordErrors says how), see record-isolation.
  const outcome = await runIsolating({
    store: env.store,
    context: ctx,
    policy: graph.recordErrors,
    batchTime: node.time > 0 ? node.time : spec.batchTime,
    node: spec.node,
    partition: spec.partition,
    run: (runCtx) => runOn(spec, node, graph, runCtx, env.store),
    sourceReads: () => ctx.sourceReads,
    probe: (probeCtx) =>
      probeTask(node, spec.partition, probeCtx, shufflesOf(spec, node, graph), bucketPartitionForEach),
  });
  await ctx.flush();
  const sourceReads = ctx.sourceReads;
  return {
    ...outcome,
    ...(sourceReads.length > 0 ? { sourceReads } : {}),
    kind: spec.kind,
    node: spec.node,
    partition: spec.partition,
    attempt: spec.attempt,
    durationMs: Date.now() - started,
  };
}

async function runOn(
  spec: TaskSpec,
  node: LineageNode<unknown>,
  graph: DStreamGraph,
  ctx: TaskContext,
  store: Store,
) {
  switch (spec.kind) {
    case 'shuffleMap': {
      const dep = shuffleDependency(node, spec.shuffle!);
      if (!spec.alsoShuffles?.length) return writeShuffleMap(dep, spec.partition, ctx, store);
      const also = spec.alsoShuffles.map((s) =>
        shuffleDependency(graph.findNode(s.node, spec.batchTime), s.shuffle),
      );
      for (const other of also) {
        if (other.parent.id !== dep.parent.id) {
          throw new ExecError(
            `shuffles ${dep.id} and ${other.id} read different nodes (${dep.parent.id}, ${other.parent.id}) and cannot be written by one task`,
            { node: node.id },
          );
        }
      }
      const [first, ...rest] = await writeShuffleMaps([dep, ...also], spec.partition, ctx, store);
      return { ...first, alsoOffsets: rest.map((r) => r.offsets) };
    }
    case 'result':
      return writeResultPartition(node, spec.partition, ctx, store, spec.limit);
    case 'materialize':
      return materializePartition(node, spec.partition, ctx);
    case 'sink': {
      const output = graph.outputs[spec.output!];
      if (output?.action.kind !== 'sink') {
        throw new ExecError(`output ${spec.output} of job ${spec.job} is not a sink`, {
          output: spec.output,
        });
      }
      return writeSinkPartition(node, output.action.sink, spec.partition, ctx, store);
    }
  }
}

/** The shuffles a shuffle-map task writes (undefined for other kinds). */
function shufflesOf(spec: TaskSpec, node: LineageNode<unknown>, graph: DStreamGraph) {
  if (spec.kind !== 'shuffleMap') return undefined;
  return [
    shuffleDependency(node, spec.shuffle!),
    ...(spec.alsoShuffles ?? []).map((s) =>
      shuffleDependency(graph.findNode(s.node, spec.batchTime), s.shuffle),
    ),
  ];
}

function shuffleDependency(node: LineageNode<unknown>, index: number): ShuffleDependency {
  const dep = node.dependencies[index];
  if (dep?.kind !== 'shuffle') {
    throw new ExecError(`node ${node.id} has no shuffle dependency ${index}`, { node: node.id });
  }
  return dep;
}

export async function writeShuffleMap(
  dep: ShuffleDependency,
  partition: number,
  ctx: TaskContext,
  store: Store,
) {
  const { buckets, rows } = await bucketPartition(dep, partition, ctx);
  const { bytes, offsets } = encodeShuffleFile(buckets);
  await store.put(shuffleFileKey(dep, partition), bytes);
  return { rows, bytes: bytes.length, offsets };
}

/** Map partition `partition` of several shuffles over one parent, computed once; one file per shuffle. */
export async function writeShuffleMaps(
  deps: readonly ShuffleDependency[],
  partition: number,
  ctx: TaskContext,
  store: Store,
): Promise<{ rows: number; bytes: number; offsets: number[] }[]> {
  const { buckets, rows } = await bucketPartitionForEach(deps, partition, ctx);
  return Promise.all(
    deps.map(async (dep, i) => {
      const { bytes, offsets } = encodeShuffleFile(buckets[i]);
      await store.put(shuffleFileKey(dep, partition), bytes);
      return { rows, bytes: bytes.length, offsets };
    }),
  );
}

export async function writeResultPartition(
  node: LineageNode<unknown>,
  partition: number,
  ctx: TaskContext,
  store: Store,
  limit?: number,
) {
  const rows = await node.compute(partition, ctx);
  const wanted = limit === undefined ? rows : rows.slice(0, limit);
  const bytes = encodeRows(wanted);
  await store.put(resultPartKey(node, partition, limit), bytes);
  return { rows: wanted.length, bytes: bytes.length };
}

/** Computes a persisted or checkpointed partition, which saves it as a side effect. */
export async function materializePartition(node: LineageNode<unknown>, partition: number, ctx: TaskContext) {
  const rows = await node.compute(partition, ctx);
  return { rows: rows.length, bytes: 0 };
}

export async function writeSinkPartition(
  node: LineageNode<unknown>,
  sink: Sink<unknown>,
  partition: number,
  ctx: TaskContext,
  store: Store,
) {
  const rows = await node.compute(partition, ctx);
  try {
    await sink.writePartition(rows, {
      batchTime: ctx.batchTime,
      partition,
      numPartitions: node.numPartitions,
      store,
    });
  } catch (error) {
    const operator = `writeTo '${sink.name}'`;
    const reason = error instanceof Error ? error.message : String(error);
    throw new SinkWriteError(
      `${operator} failed on partition ${partition}: ${reason}`,
      { operator, partition },
      { cause: error },
    );
  }
  return { rows: rows.length, bytes: 0 };
}
