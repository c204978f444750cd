/**
 * A monthly bill from measured per-batch request counts: sluice on Lambda beside the smallest Managed
 * Flink application and Lambda's own Kinesis event source mapping for the same job. Pure arithmetic; the
 * prices are in prices.ts and the assumptions in docs/COST.md.
 */
import { lambdaGbSeconds, type RequestCounts } from '../io/metering';
import { HOURS_PER_MONTH, PRICES, SECONDS_PER_MONTH } from './prices';

export interface Workload {
  /** Mean requests of one steady-state batch (BatchInfo.requests). */
  perBatch: RequestCounts;
  batchMs: number;
  /** Records per second the run measured. */
  recordsPerSecond: number;
  /** Kinesis shards of the input stream (the same for every option). */
  shards: number;
  /** Memory of the always-running coordinator function (COORDINATOR_MEMORY_MB, as serverless.yml deploys it). */
  coordinatorMemoryMb: number;
  /** How long one coordinator invocation runs before handing over to its successor (900 s). */
  coordinatorInvocationS: number;
}

export interface BillLine {
  item: string;
  /** How many units a month (requests, GB-s, hours). */
  quantity: number;
  unit: string;
  usd: number;
}

export interface Option {
  name: string;
  lines: BillLine[];
  usdPerMonth: number;
  usdPerMillionRecords: number;
  assumes: string;
}

export interface Bill {
  batchesPerMonth: number;
  recordsPerMonth: number;
  options: Option[];
  /** Kinesis itself: the same for every option, so shown apart. */
  kinesis: Option;
}

function line(item: string, quantity: number, unit: string, price: number): BillLine {
  return { item, quantity, unit, usd: quantity * price };
}

function option(name: string, lines: BillLine[], recordsPerMonth: number, assumes: string): Option {
  const usdPerMonth = lines.reduce((sum, l) => sum + l.usd, 0);
  const perMillion = recordsPerMonth > 0 ? usdPerMonth / (recordsPerMonth / 1_000_000) : Number.NaN;
  return { name, lines, usdPerMonth, usdPerMillionRecords: perMillion, assumes };
}

export function monthlyBill(w: Workload): Bill {
  const batches = (SECONDS_PER_MONTH * 1000) / w.batchMs;
  const records = w.recordsPerSecond * SECONDS_PER_MONTH;
  const b = w.perBatch;
  const { s3, lambda, kinesis, flink } = PRICES;
  const coordinatorGbS = (w.coordinatorMemoryMb / 1024) * SECONDS_PER_MONTH;
  // A successor per invocation, and the watchdog's tick every minute.
  const coordinatorInvokes = SECONDS_PER_MONTH / w.coordinatorInvocationS + SECONDS_PER_MONTH / 60;
  const sluice = option(
    'sluice on Lambda',
    [
      line('S3 PUT', b.s3Put * batches, 'requests', s3.putOrListPerRequest),
      line('S3 GET', b.s3Get * batches, 'requests', s3.getPerRequest),
      line('S3 HEAD', b.s3Head * batches, 'requests', s3.getPerRequest),
      line('S3 LIST', b.s3List * batches, 'requests', s3.putOrListPerRequest),
      line('S3 DELETE', b.s3Delete * batches, 'requests', s3.deletePerRequest),
      line('Lambda task requests', b.lambdaInvokes * batches, 'requests', lambda.perRequest),
      line('Lambda task duration', lambdaGbSeconds(b) * batches, 'GB-s', lambda.perGbSecondArm),
      line('Lambda coordinator requests', coordinatorInvokes, 'requests', lambda.perRequest),
      line('Lambda coordinator duration', coordinatorGbS, 'GB-s', lambda.perGbSecondArm),
    ],
    records,
    'request counts as measured per batch; the coordinator runs all month; free tiers ignored',
  );
  // One invocation per shard per batch window, doing the tasks' work; its state in one S3 object per shard.
  const esmInvokes = w.shards * batches;
  const esm = option(
    'Lambda Kinesis event source mapping',
    [
      line('Lambda requests', esmInvokes, 'requests', lambda.perRequest),
      line('Lambda duration', lambdaGbSeconds(b) * batches, 'GB-s', lambda.perGbSecondArm),
      line('S3 PUT (state and output)', 2 * esmInvokes, 'requests', s3.putOrListPerRequest),
      line('S3 GET (state)', esmInvokes, 'requests', s3.getPerRequest),
    ],
    records,
    'one invocation per shard per batch window with the same compute as the tasks; per-shard state in one S3 object (read and written each time) and one output object; no cross-shard aggregation, no exactly-once',
  );
  const kpus = 1;
  const flinkOption = option(
    'Managed Service for Apache Flink (smallest)',
    [
      line(
        'KPU-hours (1 KPU + 1 orchestration KPU)',
        (kpus + 1) * HOURS_PER_MONTH,
        'KPU-h',
        flink.perKpuHour,
      ),
      line(
        'running application storage',
        kpus * flink.runningStorageGbPerKpu,
        'GB-month',
        flink.perRunningStorageGbMonth,
      ),
    ],
    records,
    'one KPU is enough for the job; no durable backups',
  );
  const stream = option(
    'Kinesis Data Streams (provisioned)',
    [
      line('shard-hours', w.shards * HOURS_PER_MONTH, 'shard-h', kinesis.perShardHour),
      // Records under 25 KB are one payload unit each.
      line('PUT payload units', records, 'units', kinesis.perPutPayloadUnit),
    ],
    records,
    'records under 25 KB; reading (GetRecords and the rest) is free',
  );
  return {
    batchesPerMonth: batches,
    recordsPerMonth: records,
    options: [sluice, flinkOption, esm],
    kinesis: stream,
  };
}
