import { contextFor, type JobDefinition, jobFromModule } from '../api/job';
import { JobCatalog, jobStoreIn } from '../catalog';
import { runTask, type TaskResult, type TaskSpec } from '../exec';
import type { DStreamGraph, DStreamNode } from '../graph';
import { InProcessInvoker } from '../io/in-process-invoker';
import { OverlayStore } from '../io/overlay-store';
import type { Store } from '../io/ports';
import { storeFrom } from '../io/store-location';
import { type ActionRunner, IdScope, type LineageNode, RDD } from '../plan';
import { BatchJobRunner, DEFAULT_EXCHANGE, DEFAULT_RETRY, DEFAULT_SPECULATION } from '../schedule';
import { MapOutputTracker } from '../schedule/map-output-tracker';
import { PartitionCache } from '../schedule/partition-cache';
import { sleep } from '../schedule/waiting';
import { ConfigError } from '../util/errors';
import { type CommittedBatches, readCommittedBatches } from './committed-batches';
import { QueryFailedError, UnknownStreamError } from './errors';
import { missingFrom, retentionAfter } from './retention';
import { snapshotTime } from './snapshot-time';

export interface SnapshotOptions {
  /**
   * The job's store: the Store its context was started with (`ssc.start({ store })`, `EmbeddedJob.store`),
   * or a location as SLUICE_STORE takes it (`s3://bucket/prefix/`, a directory), under which the runtime
   * keeps the job (`jobs/<name>/`). S3 endpoints come from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
   */
  store: Store | string;
  /** A committed, still retained batch time of the stream; default: its newest committed batch. */
  at?: number;
  /** Tasks that may run at once in this process (default 2). */
  workers?: number;
}

/**
 * The dataset of stream `stream` (named with `named()`) at a committed batch of a job that may be running
 * now, in this or another process. Its actions (`collect`, `take`, and those of RDDs derived from it) run
 * here, over committed data only: checkpoints and kept partitions are read from the job's store, the rest
 * is recomputed from lineage, inputs replayed by the ranges the batch committed. Everything the query
 * writes stays in this process, so a query (even one that fails) never disturbs the job.
 */
export async function snapshot<T = unknown>(
  job: JobDefinition,
  stream: string,
  options: SnapshotOptions,
): Promise<RDD<T>> {
  checkOptions(options);
  const ssc = contextFor(jobFromModule(job, 'the job given to snapshot()'), () => undefined);
  const node = namedStream(ssc.graph, ssc.name, stream);
  const store = jobStoreOf(options.store, ssc.name);
  const committed = await readCommittedBatches(store, ssc.name, ssc.graph);
  ssc.graph.start(committed.zeroTime);
  const retention = retentionAfter(ssc.graph, committed.newest.batchTime, committed.oldestManifest);
  const time = await snapshotTime({
    stream: node,
    name: stream,
    at: options.at,
    committed,
    catalog: new JobCatalog(store),
    missingAt: (t) => {
      const rdd = node.getOrCompute(t);
      return rdd ? missingFrom(rdd.node, ssc.graph, retention) : 'no dataset at this time';
    },
  });
  const rdd = node.getOrCompute(time)!;
  const runner = queryRunner(ssc.graph, ssc.name, committed, time, store, options.workers ?? 2);
  return new RDD<T>(rdd.node as LineageNode<T>, failingClearly(runner, ssc.name, stream, time));
}

function checkOptions(options: SnapshotOptions): void {
  const { store, workers } = options ?? {};
  if (typeof store !== 'string' && typeof (store as Store | undefined)?.get !== 'function') {
    throw new ConfigError(
      "snapshot needs { store }: the Store the job was started with, or its location ('s3://bucket/prefix/', a directory)",
    );
  }
  if (workers !== undefined && (!Number.isInteger(workers) || workers <= 0)) {
    throw new ConfigError(`snapshot: workers must be a positive whole number, got ${workers}`, { workers });
  }
}

function namedStream(graph: DStreamGraph, job: string, name: string): DStreamNode<unknown> {
  const found = graph.streamNamed(name);
  if (found) return found;
  const known = graph.streamNames;
  throw new UnknownStreamError(
    `job '${job}' has no stream named '${name}'; ${
      known.length > 0
        ? `its named streams are ${known.map((n) => `'${n}'`).join(', ')}`
        : "it names none: name the stream to query in the job, e.g. stream.named('sessions')"
    }`,
    { job, stream: name, known },
  );
}

function jobStoreOf(store: Store | string, job: string): Store {
  if (typeof store !== 'string') return store;
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return jobStoreIn(storeFrom(store, endpoint, 'store'), job);
}

/**
 * Runs the lineage of batch `time` as if just after it: everything of `time` and before is committed
 * data, so what the store kept (checkpoints, spilled state, shuffle files) is read rather than recomputed,
 * and input ranges come from each batch's committed manifest. Tasks run in this process, over a store
 * whose writes never leave it.
 */
function queryRunner(
  graph: DStreamGraph,
  job: string,
  committed: CommittedBatches,
  time: number,
  store: Store,
  workers: number,
): ActionRunner {
  const overlay = new OverlayStore(store);
  const invoker = new InProcessInvoker<TaskSpec, TaskResult>(
    (spec) => runTask(spec, { store: overlay, graphFor: () => graph }),
    workers,
  );
  const runner = new BatchJobRunner({
    job,
    zeroTime: committed.zeroTime,
    batchTime: time + graph.batchMs,
    store: overlay,
    invoker,
    retry: DEFAULT_RETRY,
    // Speculative copies would only compete with each other for this process's workers.
    speculation: { ...DEFAULT_SPECULATION, enabled: false },
    exchange: DEFAULT_EXCHANGE,
    recordErrors: graph.recordErrors,
    sleep,
    cache: new PartitionCache(overlay),
    outputs: new MapOutputTracker(),
    noteTransientWrite: () => undefined,
  });
  return {
    collect: (node) => runner.collect(node),
    take: (node, n) => runner.take(node, n),
    scope: new IdScope('q', time, false),
  };
}

/** Actions that fail say which query failed, with the engine's error as the cause. */
function failingClearly(runner: ActionRunner, job: string, stream: string, time: number): ActionRunner {
  const wrap = <R>(action: string, run: () => Promise<R>): Promise<R> =>
    run().catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      // The job goes on cleaning while a query runs: the oldest retained batches can go meanwhile.
      const hint = causedByMissingData(error)
        ? '; the job may have cleaned what the batch needs while the query ran: query a newer batch'
        : '';
      throw new QueryFailedError(
        `${action} on stream '${stream}' of job '${job}' at batch ${time} failed: ${reason}${hint}`,
        { job, stream, batchTime: time },
        { cause: error },
      );
    });
  return {
    collect: (node) => wrap('collect()', () => runner.collect(node)),
    take: (node, n) => wrap(`take(${n})`, () => runner.take(node, n)),
    scope: runner.scope,
  };
}

/** Whether data the lineage reads was missing from the store (by name: errors may come from elsewhere). */
function causedByMissingData(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const name = (e as { remoteName?: string }).remoteName ?? e.name;
    if (name === 'MissingDataError' || name === 'MissingInputError') return true;
  }
  return false;
}
