/**
 * The D-Streams paper's recovery figure: recovery time after losing one node's work, against load, for
 * 5, 10 and 20 workers. Parallel recovery is measured: the real coordinator recomputes the lost
 * partitions from lineage on all workers. Upstream backup is the paper's alternative, modelled on the
 * same measured figures: one standby replays the lost node's work since the last checkpoint serially
 * while that node's share of every new batch keeps arriving.
 */
import { median } from './costs';
import { type BatchFigures, runScenario } from './scenario';

/** Checkpoints every 10 batches (10 s); the node is lost 5 batches after one, mid-interval. */
export const CHECKPOINT_BATCHES = 10;
const LOSS_AFTER = 25;
const RUN_BATCHES = 70;
/** A batch is back on schedule when it starts at most this much later than batches did before the loss. */
const ON_SCHEDULE_SLACK_MS = 10;

export interface RecoveryPoint {
  workers: number;
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
  lostObjects: number;
}

/** One map and one reduce partition per worker (one wave a stage), one Lambda slot per worker. */
function scenarioFor(workers: number, recordsPerSecond: number, seed: number, loss: boolean) {
  const partitions = workers;
  return runScenario({
    shards: partitions,
    reducers: partitions,
    shardsPerPartition: Math.max(1, Math.ceil(recordsPerSecond / partitions / 1000)),
    concurrency: workers,
    recordsPerSecond,
    batches: loss ? RUN_BATCHES : 14,
    seed,
    chargeCpu: false,
    ...(loss ? { loss: { afterBatch: LOSS_AFTER, workers } } : {}),
  });
}

function steadyOf(batches: BatchFigures[], from: number, to: number): number {
  return median(batches.slice(from, to).map((b) => b.processingMs));
}

/** Input rates giving roughly the wanted loads, from a straight line through two probe runs. */
export async function ratesForLoads(
  workers: number,
  loads: readonly number[],
  seed: number,
): Promise<number[]> {
  const probe = async (rate: number) => {
    const { batches } = await scenarioFor(workers, rate, seed, false);
    return steadyOf(batches, 4, batches.length);
  };
  const low = 1000 * workers;
  const high = 100_000 * workers;
  const [pLow, pHigh] = [await probe(low), await probe(high)];
  const slope = (pHigh - pLow) / (high - low);
  return loads.map((load) => Math.max(low, Math.round(low + (load * 1000 - pLow) / slope)));
}

export async function recoveryPoint(
  workers: number,
  recordsPerSecond: number,
  seed: number,
): Promise<RecoveryPoint> {
  const run = await scenarioFor(workers, recordsPerSecond, seed, true);
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
  return {
    workers,
    recordsPerSecond,
    load: steadyMs / interval,
    nodeUtilization: nodeWorkMs / interval,
    steadyMs,
    parallelRecoveryMs: Math.max(0, lastBehind.finishedAt - firstTickEnd(steadyMs)),
    parallelRecovered: back >= 0,
    upstreamRecoveryMs: upstreamBackupMs({
      failedAt: batches[LOSS_AFTER - 1].finishedAt,
      lostBatches: LOSS_AFTER % CHECKPOINT_BATCHES,
      nodeWorkMs,
      steadyMs,
      interval,
    }),
    lostObjects: run.lostObjects,
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
