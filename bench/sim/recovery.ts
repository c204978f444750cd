/**
 * The D-Streams paper's recovery figure: recovery time after a failure, against load, for 5, 10 and 20
 * workers. Parallel recovery is measured for two failures (failures.ts): a node's held partitions lost,
 * and the whole coordinator lost; the real coordinator recomputes what is missing from lineage on all
 * workers. Upstream backup is the paper's alternative, modelled on the same measured figures: one
 * standby per lost node replays that node's work since the last checkpoint serially while the node's
 * share of every new batch keeps arriving.
 */
import { median } from './costs';
import type { Failure } from './failures';
import { type BatchFigures, runScenario } from './scenario';

/** Checkpoints every 10 batches (10 s); the failure comes 5 batches after one, between two batches. */
export const CHECKPOINT_BATCHES = 10;
const LOSS_AFTER = 25;
/** Batches since the last checkpoint when the failure comes: what upstream backup replays. */
export const LOST_BATCHES = LOSS_AFTER % CHECKPOINT_BATCHES;
const RUN_BATCHES = 70;
/** A batch is back on schedule when it starts at most this much later than batches did before the loss. */
const ON_SCHEDULE_SLACK_MS = 10;
/**
 * Partitions per worker, as in the paper, where every node holds many partitions: then a lost node's
 * partitions are recomputed on several workers at once. Four keeps each stage at four task waves (every
 * wave pays an invocation's latency); one would leave nothing to spread, as in the figure this replaces.
 */
export const PARTITIONS_PER_WORKER = 4;

export type FailureKind = Failure['kind'];

export interface RecoveryPoint {
  failure: FailureKind;
  workers: number;
  partitions: number;
  recordsPerSecond: number;
  /** Steady processing time over the batch interval, measured before the loss. */
  load: number;
  /** The lost node's busy time (its tasks' billed time) over the interval: the paper's notion of load. */
  nodeUtilization: number;
  steadyMs: number;
  parallelRecoveryMs: number;
  /** False when the job was still behind schedule at the end of the run: the time is a lower bound. */
  parallelRecovered: boolean;
  upstreamRecoveryMs: number;
  /** Processing time of the first batch after the failure (the one that recomputes what was lost). */
  firstBatchMs: number;
  /** Stages of earlier batches that batch ran (its manifest's `recovery`). */
  recoveryStages: number;
  /** Held partitions and map outputs let go (node failure). */
  lostHeld: number;
}

/** PARTITIONS_PER_WORKER map and reduce partitions per worker, one Lambda slot per worker. */
function scenarioFor(workers: number, recordsPerSecond: number, seed: number, failure?: FailureKind) {
  const partitions = workers * PARTITIONS_PER_WORKER;
  const injected: Failure | undefined =
    failure === 'node'
      ? { kind: 'node', afterBatch: LOSS_AFTER, workers }
      : failure === 'coordinator'
        ? { kind: 'coordinator', afterBatch: LOSS_AFTER }
        : undefined;
  return runScenario({
    shards: partitions,
    reducers: partitions,
    shardsPerPartition: Math.max(1, Math.ceil(recordsPerSecond / partitions / 1000)),
    concurrency: workers,
    recordsPerSecond,
    batches: failure ? RUN_BATCHES : 14,
    seed,
    chargeCpu: false,
    ...(injected ? { failure: injected } : {}),
  });
}

function steadyOf(batches: BatchFigures[], from: number, to: number): number {
  return median(batches.slice(from, to).map((b) => b.processingMs));
}

/** Input rates probed per worker (records/s): the batch time of each is measured, then interpolated. */
const PROBE_RATES_PER_WORKER = [1000, 2000, 4000, 6000, 8000, 10000, 12000];

/**
 * Input rates giving roughly the wanted loads, interpolated between probe runs (batch time is not a
 * straight line of the rate: Lambda's fixed latency per task wave dominates at low rates). A probe whose
 * batches read from S3 is left out: there state partitions no longer fit in task requests and travel
 * through the store, another regime than the one this figure is about.
 */
export async function ratesForLoads(
  workers: number,
  loads: readonly number[],
  seed: number,
): Promise<number[]> {
  const probes: { rate: number; load: number }[] = [];
  for (const perWorker of PROBE_RATES_PER_WORKER) {
    const rate = perWorker * workers;
    const { batches } = await scenarioFor(workers, rate, seed);
    const measured = batches.slice(4);
    if (measured.some((b) => b.s3.get > 0)) break;
    probes.push({ rate, load: steadyOf(batches, 4, batches.length) / 1000 });
  }
  return loads.flatMap((load) => {
    const above = probes.findIndex((p) => p.load >= load);
    if (above <= 0) return above === 0 ? [probes[0].rate] : [];
    const [a, b] = [probes[above - 1], probes[above]];
    return [Math.round(a.rate + ((load - a.load) * (b.rate - a.rate)) / (b.load - a.load))];
  });
}

export async function recoveryPoint(
  workers: number,
  recordsPerSecond: number,
  seed: number,
  failure: FailureKind,
): Promise<RecoveryPoint> {
  const run = await scenarioFor(workers, recordsPerSecond, seed, failure);
  const { batches } = run;
  const interval = 1000;
  const steady = batches.slice(12, LOSS_AFTER);
  const steadyMs = median(steady.map((b) => b.processingMs));
  const onSchedule = Math.max(...steady.map((b) => b.schedulingDelayMs)) + ON_SCHEDULE_SLACK_MS;
  const after = batches.slice(LOSS_AFTER);
  const back = after.findIndex((b, i) => i > 0 && b.schedulingDelayMs <= onSchedule);
  const lastBehind = back < 0 ? after[after.length - 1] : after[back - 1];
  // The lost node's own work per batch: its share of the tasks' busy time.
  const nodeWorkMs = median(steady.map((b) => b.lambda.billedMs)) / workers;
  const firstRecovery = run.recoveries[0];
  return {
    failure,
    workers,
    partitions: run.reducers,
    recordsPerSecond,
    load: steadyMs / interval,
    nodeUtilization: nodeWorkMs / interval,
    steadyMs,
    parallelRecoveryMs: Math.max(0, lastBehind.finishedAt - firstTickEnd(steadyMs)),
    parallelRecovered: back >= 0,
    upstreamRecoveryMs: upstreamBackupMs({
      failedAt: batches[LOSS_AFTER - 1].finishedAt,
      lostBatches: LOST_BATCHES,
      nodeWorkMs,
      steadyMs,
      interval,
    }),
    firstBatchMs: after[0].processingMs,
    recoveryStages: firstRecovery?.recoveryStages ?? 0,
    lostHeld: run.lostHeld,
  };
}

/** When the first batch after the loss would have finished without it. */
function firstTickEnd(steadyMs: number): number {
  return (LOSS_AFTER + 1) * 1000 + steadyMs;
}

/**
 * One standby, starting at the failure, replays the lost node's work of the batches since the
 * checkpoint, then takes the node's share of every new batch as it arrives; a batch completes when the
 * standby's part and the rest of the job are both done. Returns how long past its normal end the last
 * batch behind schedule finishes (as measured for parallel recovery).
 */
export function upstreamBackupMs(o: {
  failedAt: number;
  lostBatches: number;
  nodeWorkMs: number;
  steadyMs: number;
  interval: number;
}): number {
  let standbyFree = o.failedAt + o.lostBatches * o.nodeWorkMs;
  let lastFinished = firstTickEnd(o.steadyMs);
  for (let j = 1; j < 100_000; j++) {
    const arrives = (LOSS_AFTER + j) * o.interval;
    if (j > 1 && standbyFree <= arrives) return Math.max(0, lastFinished - firstTickEnd(o.steadyMs));
    standbyFree = Math.max(standbyFree, arrives) + o.nodeWorkMs;
    lastFinished = Math.max(standbyFree, arrives + o.steadyMs);
  }
  return Number.POSITIVE_INFINITY; // at load 1 or more the standby never catches up
}
