import {
  COORDINATOR_MEMORY_MB,
  PRICE_KINESIS_PER_M_PUT_UNITS,
  PRICE_KINESIS_SHARD_HOUR,
  PRICE_LAMBDA_PER_GB_S_ARM,
  PRICE_LAMBDA_PER_M_REQUESTS,
  PRICE_S3_GET_PER_1K,
  PRICE_S3_PUT_PER_1K,
  SECONDS_PER_MONTH,
  TASK_MEMORY_MB,
} from './model';
import type { BatchFigures } from './scenario';

export interface BatchCost {
  s3: number;
  lambdaTasks: number;
  coordinator: number;
  kinesis: number;
  total: number;
}

/** What one batch costs at list prices; the coordinator and the shards are paid for the whole interval. */
export function costOf(batch: BatchFigures, shards: number, batchMs: number): BatchCost {
  const { s3, lambda } = batch;
  const s3Cost =
    ((s3.put + s3.list) * PRICE_S3_PUT_PER_1K) / 1000 + ((s3.get + s3.head) * PRICE_S3_GET_PER_1K) / 1000;
  const lambdaTasks =
    (lambda.invocations * PRICE_LAMBDA_PER_M_REQUESTS) / 1e6 +
    (lambda.billedMs / 1000) * (TASK_MEMORY_MB / 1024) * PRICE_LAMBDA_PER_GB_S_ARM;
  const coordinator = (batchMs / 1000) * (COORDINATOR_MEMORY_MB / 1024) * PRICE_LAMBDA_PER_GB_S_ARM;
  // A 100-byte record is one 25 KB PUT payload unit.
  const kinesis =
    (shards * PRICE_KINESIS_SHARD_HOUR * batchMs) / 3_600_000 +
    (batch.records * PRICE_KINESIS_PER_M_PUT_UNITS) / 1e6;
  return {
    s3: s3Cost,
    lambdaTasks,
    coordinator,
    kinesis,
    total: s3Cost + lambdaTasks + coordinator + kinesis,
  };
}

export function perMonth(perBatch: number, batchMs: number): number {
  return (perBatch * SECONDS_PER_MONTH * 1000) / batchMs;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
