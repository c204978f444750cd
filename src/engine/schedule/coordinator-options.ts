import type { TaskResult, TaskSpec } from '../exec';
import type { DStreamGraph } from '../graph';
import type { Clock, Invoker, Store } from '../io/ports';
import type { BatchInfo } from './batch-info';
import type { StreamingListener } from './listener-bus';
import type { SpeculationPolicy } from './speculation';
import type { ExchangePolicy, RetryPolicy } from './task-launcher';

export interface CoordinatorOptions {
  job: string;
  graph: DStreamGraph;
  /** The job's store, already scoped to the job (see catalog/layout.ts `jobStoreIn`). */
  store: Store;
  invoker: Invoker<TaskSpec, TaskResult>;
  clock: Clock;
  retry?: Partial<RetryPolicy>;
  /** What watches the job: batches submitted, completed and failed, stages, task failures, notices. */
  listeners?: readonly StreamingListener[];
  /** Called after every committed batch (shorthand for a listener's onBatchCompleted). */
  onBatch?: (info: BatchInfo) => void;
  /** Backup copies of slow tasks; on by default (75% finished, 1.5x their median, at least 100 ms). */
  speculation?: Partial<SpeculationPolicy>;
  /** Identifies this coordinator in the lease (default: a random id). */
  owner?: string;
  /** How long the lease lasts without renewal (default: three batch intervals plus 30 s). */
  leaseTtlMs?: number;
  /** Committed batches whose manifests are kept for monitoring (default 100); older ones are deleted. */
  manifestHistory?: number;
  /**
   * A batch that failed for a reason that may pass (store, source or invoke errors, throttling) is run
   * again in place this many times, with backoff, before the coordinator gives up (default 3). Failures
   * of user code repeat deterministically and are not retried.
   */
  batchRetries?: number;
  /** First backoff between batch retries (default 1 s, doubling, at most 30 s). */
  batchRetryBackoffMs?: number;
  /**
   * When this coordinator must be done (a Lambda invocation's end, on `clock`): a batch retry that could
   * not finish by then is not started, so the run fails while there is still time to hand over.
   */
  deadline?: () => number;
  /**
   * How long a batch may keep the lease alive in the background (default the longer of 15 minutes and
   * ten intervals): a coordinator stuck longer than that lets its lease expire, so another takes over.
   */
  maxBatchMs?: number;
  /** How data travels in task requests and results (defaults: Lambda's payload limit). */
  exchange?: Partial<ExchangePolicy>;
  /**
   * Batches with at most this many input records run in the coordinator itself instead of as task
   * invocations: a few hundred records are not worth a fan-out (default 0: always as tasks).
   */
  smallBatchRecords?: number;
  /**
   * Memory, in MB, the coordinator may fill with what it holds between batches: two thirds for state and
   * window partitions (beyond it the oldest spill to the store), one third for map outputs (beyond it the
   * oldest are dropped and recomputed from lineage if needed). Default 768; on Lambda, half the function's
   * memory, so a smaller coordinator spills instead of running out of memory.
   */
  holdMb?: number;
  /** Where notable events go (a rebuilt job identity, a retried batch); shorthand for onCoordinatorNotice. */
  log?: (line: string) => void;
  /** Memory of the task function, for the billed GB-s of each batch (default 1,769 MB, as serverless.yml). */
  taskMemoryMb?: number;
}
