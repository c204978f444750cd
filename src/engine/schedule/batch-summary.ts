/**
 * One batch in numbers, computed from its manifest alone, so that a live event and a manifest read back
 * from the store give the same figures: the dashboard's rows, `sluice status`, the Lambda metrics.
 */
import type { BatchManifest } from '../catalog';
import { PRICES } from '../cost/prices';
import { awsRequests, lambdaGbSeconds } from '../io/metering/request-counts';
import { countDeadLetters, maxLag } from './batch-info';

export interface ShardLag {
  input: string;
  shard: string;
  millisBehindLatest: number;
}

export interface BatchSummary {
  batchTime: number;
  status: BatchManifest['status'];
  batchMs: number;
  records: number;
  /** Input records per second of batch interval (Spark's input rate). */
  inputRate: number;
  schedulingDelayMs: number;
  processingMs?: number;
  totalDelayMs?: number;
  lagMs?: number;
  shardLags: ShardLag[];
  stages: number;
  tasks: number;
  retries: number;
  speculated: number;
  recoveredPartitions: number;
  deadLetters: number;
  requests?: number;
  /** The batch's AWS requests and Lambda duration at list prices, in USD (Kinesis shard-hours excluded). */
  costUsd?: number;
  error?: string;
}

export function summarize(manifest: BatchManifest): BatchSummary {
  const stages = manifest.stages ?? [];
  const taskStages = stages.filter((s) => s.location === 'tasks');
  const records = manifest.inputs.reduce((sum, input) => sum + input.records, 0);
  const summary: BatchSummary = {
    batchTime: manifest.batchTime,
    status: manifest.status,
    batchMs: manifest.batchMs,
    records,
    inputRate: manifest.batchMs > 0 ? (records * 1000) / manifest.batchMs : 0,
    schedulingDelayMs: manifest.timing.schedulingDelayMs,
    shardLags: shardLags(manifest),
    stages: stages.length,
    tasks: taskStages.reduce((sum, s) => sum + s.partitions, 0),
    retries: taskStages.reduce((sum, s) => sum + retriesOf(s), 0),
    speculated: stages.reduce((sum, s) => sum + (s.speculated ?? 0), 0),
    recoveredPartitions: manifest.recovery?.lost.length ?? 0,
    deadLetters: countDeadLetters(manifest),
  };
  if (manifest.timing.processingMs !== undefined) {
    summary.processingMs = manifest.timing.processingMs;
    summary.totalDelayMs = manifest.timing.schedulingDelayMs + manifest.timing.processingMs;
  }
  const lag = maxLag(manifest);
  if (lag !== undefined) summary.lagMs = lag;
  if (manifest.requests) {
    summary.requests = awsRequests(manifest.requests);
    summary.costUsd = requestCostUsd(manifest.requests);
  }
  if (manifest.error) summary.error = manifest.error.message;
  return summary;
}

/** Attempts beyond one per partition are retries; speculative copies are counted apart. */
export function retriesOf(stage: BatchManifest['stages'][number]): number {
  return Math.max(0, stage.attempts - stage.partitions - (stage.speculated ?? 0));
}

function shardLags(manifest: BatchManifest): ShardLag[] {
  return manifest.inputs.flatMap((input) =>
    input.ranges
      .filter((range) => range.millisBehindLatest !== undefined)
      .map((range) => ({
        input: input.name,
        shard: range.shard,
        millisBehindLatest: range.millisBehindLatest as number,
      })),
  );
}

function requestCostUsd(requests: NonNullable<BatchManifest['requests']>): number {
  const s3 =
    (requests.s3Put + requests.s3List) * PRICES.s3.putOrListPerRequest +
    (requests.s3Get + requests.s3Head) * PRICES.s3.getPerRequest +
    requests.s3Delete * PRICES.s3.deletePerRequest;
  const lambda =
    requests.lambdaInvokes * PRICES.lambda.perRequest +
    lambdaGbSeconds(requests) * PRICES.lambda.perGbSecondArm;
  return s3 + lambda;
}
