/** The coordinator function's body: one invocation's run of a job, from taking the lease to handing it over. */
import { randomUUID } from 'node:crypto';
import { LeaseHeldError } from '../catalog/errors';
import type { TaskResult, TaskSpec } from '../exec';
import { SystemClock } from '../io/clock';
import type { Clock, Invoker } from '../io/ports';
import type { BatchInfo } from '../schedule';
import type { RuntimeConfig } from './config';
import {
  BatchBudget,
  checkIntervalFits,
  DEFAULT_HANDOVER_MARGIN_MS,
  DEFAULT_SUCCESSOR_LEAD_MS,
  GatedClock,
  Succession,
  type SuccessorStarter,
  whenLeaseFree,
} from './continuity';
import { RuntimeError } from './errors';
import {
  type CoordinatorEvent,
  type CoordinatorStartOptions,
  type RunningCoordinator,
  startCoordinator,
} from './lambda';

export interface CoordinatorRunOptions extends CoordinatorEvent {
  /** Milliseconds this invocation may still run (Lambda's getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Kept free after the last batch to hand the lease over and return (default 5 s). */
  handOverMarginMs?: number;
  /**
   * Starts this coordinator's successor shortly before its last batch, so the lease goes straight to it.
   * Without one, the lease is released at the end and the watchdog starts the next coordinator.
   */
  starter?: SuccessorStarter;
  /** How long before its last batch's time the successor is started (default 2 s). */
  successorLeadMs?: number;
  /** How often a successor looks whether the lease was handed to it (default 200 ms). */
  leasePollMs?: number;
  clock?: Clock;
  invoker?: Invoker<TaskSpec, TaskResult>;
  onBatch?: (info: BatchInfo) => void;
  log?: (line: string) => void;
  start?: Omit<NonNullable<CoordinatorStartOptions['start']>, 'owner'>;
}

export interface CoordinatorRunSummary {
  job: string;
  /**
   * 'handed over': ran batches, then handed the lease to `successor`, which it had started.
   * 'stopped': ran batches and released the lease (no successor starter, e.g. no function name); the
   * watchdog starts the next coordinator.
   * 'already running': a watchdog (or a successor that was not handed the lease) found `holder`
   * holding a live lease and did nothing.
   */
  status: 'handed over' | 'stopped' | 'already running';
  /** This invocation's lease owner id. */
  owner: string;
  batches: number;
  lastBatchTime?: number;
  successor?: string;
  holder?: string;
}

/**
 * The coordinator function's body: take the lease (a successor waits until it is handed over; a watchdog
 * gives up at once if someone holds it), refuse an interval that cannot run on Lambda, run batches while
 * each can finish before the deadline, start the successor shortly before the last one, and hand the
 * lease straight to it. A failed run rejects after the lease was released or handed over, so a retry or
 * the next watchdog can start at once.
 */
export async function runCoordinator(
  config: RuntimeConfig,
  options: CoordinatorRunOptions,
): Promise<CoordinatorRunSummary> {
  const invocationMs = options.remainingMs();
  const clock = options.clock ?? new SystemClock();
  const owner = options.owner ?? randomUUID();
  const marginMs = options.handOverMarginMs ?? DEFAULT_HANDOVER_MARGIN_MS;
  const leadMs = options.successorLeadMs ?? DEFAULT_SUCCESSOR_LEAD_MS;
  const log = options.log ?? (() => undefined);
  // Holds the coordinator before each batch until this function has decided the batch may start.
  const gate = new GatedClock(clock);
  let batches = 0;
  let lastBatchTime: number | undefined;
  let afterBatch: (info: BatchInfo) => void = () => undefined;
  const start = () =>
    startCoordinator(config, {
      job: options.job,
      clock: gate,
      invoker: options.invoker,
      log: options.log,
      start: {
        ...options.start,
        owner,
        // A batch retried in place must still leave time to hand over.
        deadline: () => clock.now() + options.remainingMs() - marginMs,
        coordinatorLog: options.log,
      },
      onBatch: (info) => {
        batches++;
        lastBatchTime = info.batchTime;
        options.onBatch?.(info);
        afterBatch(info);
      },
    });

  let running: RunningCoordinator;
  try {
    running =
      options.successorOf === undefined
        ? await start()
        : await whenLeaseFree(start, {
            clock,
            predecessor: options.successorOf,
            pollMs: options.leasePollMs,
            mayWait: () => options.remainingMs() > 2 * marginMs,
          });
  } catch (error) {
    if (error instanceof LeaseHeldError && (options.watchdog || options.successorOf !== undefined)) {
      const holder = String(error.context.holder ?? 'another coordinator');
      log(`coordinator ${owner}: ${holder} holds the lease of job '${options.job}'; nothing to do`);
      return { job: options.job, status: 'already running', owner, batches: 0, holder };
    }
    throw error;
  }

  const { context } = running;
  const coordinator = context.coordinator!;
  try {
    checkIntervalFits(options.job, context.batchMs, marginMs, invocationMs);
  } catch (error) {
    await running.stop();
    throw error;
  }

  const budget = new BatchBudget(context.batchMs, marginMs);
  const succession = new Succession(
    options.starter,
    clock,
    { job: options.job, successorOf: owner, owner: randomUUID() },
    (event) => {
      coordinator.handOverOnStop(event.owner);
      log(`coordinator ${owner}: started successor ${event.owner}`);
    },
  );
  /**
   * Whether the next batch may start. When the one after it would not fit, the successor is started
   * shortly before it (its cold start overlaps the batch); the predecessor still runs every batch that
   * fits, while the successor waits for the lease.
   */
  const mayStartNext = (): boolean => {
    const next = coordinator.nextBatchTime;
    const now = clock.now();
    const remaining = options.remainingMs();
    if (!budget.fits(next, now, remaining)) return false;
    if (!budget.fits(next, now, remaining, 2)) succession.scheduleAt(next - leadMs);
    return true;
  };
  let finishing: Promise<void> | undefined;
  const finish = () => {
    gate.close();
    // A start still under way when the hand-over time runs out is not waited for: the lease is then
    // released rather than handed over, and the successor (or the watchdog) takes it all the same.
    finishing ??= withinMs(succession.now(), options.remainingMs() - marginMs / 2).then(() => running.stop());
  };
  afterBatch = (info) => {
    budget.record(info.processingMs);
    if (!mayStartNext()) finish();
  };
  if (mayStartNext()) gate.open();
  else finish();

  try {
    await running.done;
  } finally {
    succession.cancel();
  }
  await finishing;
  const handedOver = await succession.started();
  if (succession.failure !== undefined) {
    throw new RuntimeError(
      `coordinator ${owner} ran ${batches} batch(es) of job '${options.job}' and released its lease, but could not ` +
        `start its successor: ${(succession.failure as Error)?.message ?? String(succession.failure)}. ` +
        'The watchdog starts the next coordinator within a minute; check that the coordinator may invoke itself (lambda:InvokeFunction).',
      { job: options.job, owner, batches, lastBatchTime },
      { cause: succession.failure },
    );
  }
  return {
    job: options.job,
    status: handedOver ? 'handed over' : 'stopped',
    owner,
    batches,
    lastBatchTime,
    ...(handedOver ? { successor: succession.event.owner } : {}),
  };
}

/** `promise`, or undefined once `ms` (real time, like Lambda's deadline) have passed. */
async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
