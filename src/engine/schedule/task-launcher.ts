import {
  executeTask,
  type PersistedPart,
  type SourceReadReport,
  StoreTaskContext,
  type TaskOutcome,
  type TaskResult,
  type TaskSpec,
  type TaskWork,
} from '../exec';
import type { RecordErrorPolicy } from '../graph/record-errors';
import type { Clock, Invoker } from '../io/ports';
import type { LineageNode } from '../plan';
import { operatorOf, TaskFailedError } from './errors';
import type { ListenerBus } from './listener-bus';
import { runSpeculatively, type SpeculationPolicy } from './speculation';
import type { Stage } from './stages';
import { type HeldData, inputsFor } from './task-inputs';

export interface RetryPolicy {
  /** Attempts per task before the batch fails (Spark's default is 4). */
  maxAttempts: number;
  /** Delay before retry n is `backoffMs * 2^(n-1)`, capped at `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, backoffMs: 100, maxBackoffMs: 5000 };

/** How data travels with task invocations. */
export interface ExchangePolicy {
  /** Output a task may send back in its result; more goes to the store (Lambda: 6 MB, base64). */
  inlineBytes: number;
  /** Data shipped in one task request; more is saved to the store and named instead. */
  maxRequestBytes: number;
}

/** Under Lambda's 6 MB payload limit once base64 (4/3) and the rest of the message are added. */
export const DEFAULT_EXCHANGE: ExchangePolicy = {
  inlineBytes: 4 * 1024 * 1024,
  maxRequestBytes: 4 * 1024 * 1024,
};

/** What a stage's task does, beside its stage: the final action, and sibling shuffles it also writes. */
export interface TaskPlan {
  stage: Stage;
  kind: TaskSpec['kind'];
  also: readonly Stage[];
  limit?: number;
  output?: number;
  sink?: TaskWork['sink'];
}

export type LaunchedOutcome = TaskOutcome & {
  attempts: number;
  persisted?: PersistedPart[];
  sourceReads?: SourceReadReport[];
};

export interface LauncherSettings {
  job: string;
  zeroTime: number;
  batchTime: number;
  retry: RetryPolicy;
  speculation: SpeculationPolicy;
  exchange: ExchangePolicy;
  recordErrors: RecordErrorPolicy;
  sleep(ms: number): Promise<void>;
  /** The coordinator's clock, for speculation (default: wall-clock time). */
  clock?: Clock;
  /** Where task failures and speculative copies are posted. */
  bus?: ListenerBus;
}

/**
 * Launches a stage's tasks: as invocations (retried, with speculative copies of stragglers), or in this
 * process (driver code, and small batches not worth an invocation). Both run the same executor, and
 * both get the data the coordinator holds shipped with them.
 */
export class TaskLauncher {
  constructor(
    private readonly settings: LauncherSettings,
    private readonly invoker: Invoker<TaskSpec, TaskResult>,
    private readonly held: HeldData,
  ) {}

  async remote(plan: TaskPlan, partitions: readonly number[]) {
    return runSpeculatively(
      partitions.length,
      (i, isBackup, started, signal) =>
        this.invokeRetrying(plan, partitions[i], { isBackup, started, signal }),
      this.settings.speculation,
      this.settings.clock,
    );
  }

  /**
   * Runs tasks here. Job-made stages keep their retries and poison-record isolation; driver-made ones
   * (`given` holds what tasks computed for them) fail on the first error, which would only repeat.
   */
  async local(
    plan: TaskPlan,
    partitions: readonly number[],
    given?: ReadonlyMap<string, Uint8Array[]>,
  ): Promise<LaunchedOutcome[]> {
    const attempts = plan.stage.registered ? this.settings.retry.maxAttempts : 1;
    return Promise.all(
      partitions.map((partition) =>
        this.retrying(plan, partition, attempts, undefined, async () => {
          const inputs = await inputsFor(this.rootsOf(plan, partition), this.held, Number.POSITIVE_INFINITY);
          const ctx = new StoreTaskContext(this.settings.batchTime, this.held.store, {
            inputs,
            inlineBytes: Number.MAX_SAFE_INTEGER,
            precomputed: given,
          });
          const outcome = await executeTask(this.workOf(plan, partition), ctx, this.held.store);
          const sourceReads = ctx.sourceReads;
          return {
            ...outcome,
            ...(ctx.persisted.length > 0 ? { persisted: ctx.persisted } : {}),
            ...(sourceReads.length > 0 ? { sourceReads } : {}),
          };
        }),
      ),
    );
  }

  private async invokeRetrying(
    plan: TaskPlan,
    partition: number,
    copy: { isBackup: boolean; started: () => void; signal: AbortSignal },
  ): Promise<LaunchedOutcome> {
    const spec = await this.specOf(plan, partition);
    if (copy.isBackup) {
      const { stage } = plan;
      this.settings.bus?.post('onSpeculativeTaskLaunched', {
        batchTime: this.settings.batchTime,
        stage: stage.id,
        operator: stage.node.operator,
        partition,
      });
    }
    // A backup's attempts are numbered after the original's, so logs and task stores tell them apart.
    const first = copy.isBackup ? this.settings.retry.maxAttempts : 0;
    return this.retrying(plan, partition, this.settings.retry.maxAttempts, copy.signal, (attempt) =>
      this.invoker.invoke(
        { ...spec, attempt: first + attempt },
        { onStart: copy.started, signal: copy.signal },
      ),
    );
  }

  private async retrying<R>(
    plan: TaskPlan,
    partition: number,
    maxAttempts: number,
    signal: AbortSignal | undefined,
    run: (attempt: number) => Promise<R>,
  ): Promise<R & { attempts: number }> {
    const { retry, sleep } = this.settings;
    for (let attempt = 0; ; attempt++) {
      try {
        return { ...(await run(attempt)), attempts: attempt + 1 };
      } catch (error) {
        // Another copy won: no point retrying this one.
        if (signal?.aborted) throw error;
        this.settings.bus?.post('onTaskFailed', {
          batchTime: this.settings.batchTime,
          stage: plan.stage.id,
          operator: operatorOf(error) ?? plan.stage.node.operator,
          partition,
          attempt,
          error: error instanceof Error ? error.message : String(error),
          willRetry: attempt + 1 < maxAttempts,
        });
        if (attempt + 1 >= maxAttempts) {
          if (maxAttempts === 1) throw error;
          const reason = error instanceof Error ? error.message : String(error);
          const { stage } = plan;
          throw new TaskFailedError(
            `task ${partition} of ${stage.node.operator} failed ${attempt + 1} times; last error: ${reason}`,
            {
              stage: stage.id,
              partition,
              attempts: attempt + 1,
              operator: operatorOf(error) ?? stage.node.operator,
            },
            { cause: error },
          );
        }
        await sleep(Math.min(retry.maxBackoffMs, retry.backoffMs * 2 ** attempt));
      }
    }
  }

  private async specOf(plan: TaskPlan, partition: number): Promise<TaskSpec> {
    const { stage, kind, also } = plan;
    const { job, zeroTime, batchTime, exchange } = this.settings;
    const inputs = await inputsFor(this.rootsOf(plan, partition), this.held, exchange.maxRequestBytes);
    return {
      v: 1,
      job,
      zeroTime,
      batchTime,
      kind,
      node: stage.node.id,
      partition,
      attempt: 0,
      ...(stage.depIndex !== undefined ? { shuffle: stage.depIndex } : {}),
      ...(also.length > 0
        ? { alsoShuffles: also.map((s) => ({ node: s.node.id, shuffle: s.depIndex! })) }
        : {}),
      ...(kind === 'sink' ? { output: plan.output } : {}),
      ...(kind === 'result' && plan.limit !== undefined ? { limit: plan.limit } : {}),
      ...(inputs ? { inputs } : {}),
      inlineBytes: exchange.inlineBytes,
    };
  }

  /** The partitions a task computes: the shuffles' parent for a map task, else the stage's node. */
  private rootsOf(plan: TaskPlan, partition: number): [LineageNode<unknown>, number][] {
    const { stage } = plan;
    return [[stage.dep ? stage.dep.parent : stage.node, partition]];
  }

  private workOf(plan: TaskPlan, partition: number): TaskWork {
    const { stage, kind, also } = plan;
    return {
      kind,
      node: stage.node,
      partition,
      batchTime: this.settings.batchTime,
      ...(stage.dep ? { shuffles: [stage, ...also].map((s) => s.dep!) } : {}),
      ...(plan.limit !== undefined ? { limit: plan.limit } : {}),
      ...(plan.sink ? { sink: plan.sink } : {}),
      ...(stage.registered ? { recordErrors: this.settings.recordErrors } : {}),
    };
  }
}
