import type { DStreamGraph } from '../graph';
import { meteredStore, meteredTask } from '../io/metering';
import type { Store } from '../io/ports';
import type { LineageNode, ShuffleDependency } from '../plan';
import { ExecError } from './errors';
import { StoreTaskContext } from './store-task-context';
import { executeTask, type TaskWork } from './task-executor';
import { parseTaskSpec, type TaskResult, type TaskSpec } from './task-spec';

/** What a task process provides: the job's store and a way to build the job's graph from its code. */
export interface TaskEnvironment {
  store: Store;
  graphFor(job: string, zeroTime: number): DStreamGraph | Promise<DStreamGraph>;
}

/** The one task entry point: the worker-thread pool and the Lambda task handler both call this. */
export function runTask(request: unknown, env: TaskEnvironment): Promise<TaskResult> {
  // The task's requests are counted in its own scope and reported in its result (counted once, by the batch).
  return meteredTask(() => runCountedTask(request, { ...env, store: meteredStore(env.store) }));
}

async function runCountedTask(request: unknown, env: TaskEnvironment): Promise<TaskResult> {
  const spec = parseTaskSpec(request);
  const started = Date.now();
  const graph = await env.graphFor(spec.job, spec.zeroTime);
  // A warm task process serves batch after batch: drop lineage no task of this batch can reach.
  graph.forget(spec.batchTime - graph.batchMs);
  const ctx = new StoreTaskContext(spec.batchTime, env.store, {
    inputs: spec.inputs,
    inlineBytes: spec.inlineBytes,
  });
  const outcome = await executeTask(workOf(spec, graph), ctx, env.store);
  const sourceReads = ctx.sourceReads;
  return {
    ...outcome,
    ...(ctx.persisted.length > 0 ? { persisted: ctx.persisted } : {}),
    ...(sourceReads.length > 0 ? { sourceReads } : {}),
    kind: spec.kind,
    node: spec.node,
    partition: spec.partition,
    attempt: spec.attempt,
    durationMs: Date.now() - started,
  };
}

/** Resolves the ids a task request names to the job's lineage. */
function workOf(spec: TaskSpec, graph: DStreamGraph): TaskWork {
  const node = graph.findNode(spec.node, spec.batchTime);
  const base = {
    kind: spec.kind,
    node,
    partition: spec.partition,
    recordErrors: graph.recordErrors,
    batchTime: spec.batchTime,
  };
  switch (spec.kind) {
    case 'shuffleMap': {
      const dep = shuffleDependency(node, spec.shuffle!);
      const also = (spec.alsoShuffles ?? []).map((s) =>
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
      return { ...base, shuffles: [dep, ...also] };
    }
    case 'result':
      return { ...base, limit: spec.limit };
    case 'materialize':
      return base;
    case 'sink': {
      const output = graph.outputs[spec.output!];
      if (output?.action.kind !== 'sink') {
        throw new ExecError(`output ${spec.output} of job ${spec.job} is not a sink`, {
          output: spec.output,
        });
      }
      return { ...base, sink: output.action.sink };
    }
  }
}

function shuffleDependency(node: LineageNode<unknown>, index: number): ShuffleDependency {
  const dep = node.dependencies[index];
  if (dep?.kind !== 'shuffle') {
    throw new ExecError(`node ${node.id} has no shuffle dependency ${index}`, { node: node.id });
  }
  return dep;
}
