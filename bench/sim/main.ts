/**
 * `npm run sim`: the real coordinator, planner and task code on a simulated AWS (see docs/SCALING.md).
 * One JSON line per point on stdout; `--markdown` also prints the tables of docs/SCALING.md on stderr.
 *   --quick       a few small points, seconds (CI)
 *   --calibrate   measure the task CPU constants of model.ts on this machine
 *   --figures sr  s: scaling and cost sweep, r: recovery figure
 */
import { costOf, median, perMonth } from './costs';
import { distinctKeys, VOCABULARY, WORDS_PER_RECORD } from './model';
import { type RecoveryPoint, ratesForLoads, recoveryPoint } from './recovery';
import { type BatchFigures, runScenario } from './scenario';
import { markdownTables } from './tables';

const BATCH_MS = 1000;
/** Batches before measuring: the first ones pay cold starts and the job's creation. */
const WARM_UP = 3;

export interface ScalingPoint {
  figure: 'scaling';
  shards: number;
  concurrency: number;
  records_per_s: number;
  reducers: number;
  tasks_per_batch: number;
  processing_ms: Spread;
  coordinator_cpu_ms: Spread;
  coordinator_cpu_ms_per_task: number;
  s3_per_batch: Record<string, number>;
  lambda_per_batch: Record<string, number>;
  cost_per_batch_usd: Record<string, number>;
  cost_per_month_usd: Record<string, number>;
  keeps_up: boolean;
}

interface Spread {
  min: number;
  median: number;
  max: number;
}

function spread(values: number[]): Spread {
  const round = (x: number) => Math.round(x * 10) / 10;
  return { min: round(Math.min(...values)), median: round(median(values)), max: round(Math.max(...values)) };
}

function perBatch(measured: BatchFigures[], pick: (b: BatchFigures) => Record<string, number>) {
  const out: Record<string, number> = {};
  for (const key of Object.keys(pick(measured[0]))) out[key] = median(measured.map((b) => pick(b)[key]));
  return out;
}

async function scalingPoint(shards: number, concurrency: number, batches: number): Promise<ScalingPoint> {
  const recordsPerSecond = Math.min(1000 * shards, 1_000_000);
  const run = await runScenario({ shards, concurrency, recordsPerSecond, batches, batchMs: BATCH_MS });
  const measured = run.batches.slice(WARM_UP);
  const cost = perBatch(measured, (b) => ({ ...costOf(b, shards, BATCH_MS) }));
  const cpu = spread(measured.map((b) => b.coordinatorCpuMs));
  const tasks = median(measured.map((b) => b.tasks));
  return {
    figure: 'scaling',
    shards,
    concurrency,
    records_per_s: recordsPerSecond,
    reducers: run.reducers,
    tasks_per_batch: tasks,
    processing_ms: spread(measured.map((b) => b.processingMs)),
    coordinator_cpu_ms: cpu,
    coordinator_cpu_ms_per_task: Math.round((cpu.median / tasks) * 1000) / 1000,
    s3_per_batch: perBatch(measured, (b) => ({ ...b.s3 })),
    lambda_per_batch: perBatch(measured, (b) => ({
      invocations: b.lambda.invocations,
      coldStarts: b.lambda.coldStarts,
      billedMs: b.lambda.billedMs,
      kinesisGetRecords: b.lambda.kinesisGetRecords,
    })),
    cost_per_batch_usd: cost,
    cost_per_month_usd: Object.fromEntries(
      Object.entries(cost).map(([k, v]) => [k, Math.round(perMonth(v, BATCH_MS))]),
    ),
    keeps_up: measured.every((b) => b.processingMs <= BATCH_MS),
  };
}

/** Real CPU of the task code per record (map side) and per reduced row, on this machine. */
async function calibrate(): Promise<Record<string, number>> {
  const shards = 4;
  const perShard = 20_000;
  const run = await runScenario({
    shards,
    reducers: 4,
    concurrency: 8,
    recordsPerSecond: shards * perShard,
    samplePerShard: perShard,
    batches: 8,
    chargeCpu: false,
  });
  const measured = run.batches.slice(4);
  const reading = measured.reduce((s, b) => s + b.lambda.realCpuMsReading, 0);
  const other = measured.reduce((s, b) => s + b.lambda.realCpuMsOther, 0);
  const records = measured.reduce((s, b) => s + b.records, 0);
  const rows = measured.length * (shards * distinctKeys(perShard * WORDS_PER_RECORD) + VOCABULARY);
  const tiny = await runScenario({
    shards,
    concurrency: 8,
    recordsPerSecond: shards,
    batches: 8,
    chargeCpu: false,
  });
  const tinyMeasured = tiny.batches.slice(4);
  const tinyCpu = tinyMeasured.reduce((s, b) => s + b.lambda.realCpuMsReading + b.lambda.realCpuMsOther, 0);
  const tinyTasks = tinyMeasured.reduce((s, b) => s + b.lambda.invocations, 0);
  return {
    MAP_CPU_NS_PER_RECORD: Math.round((reading * 1e6) / records),
    REDUCE_CPU_NS_PER_ROW: Math.round((other * 1e6) / rows),
    TASK_FIXED_CPU_MS: Math.round((tinyCpu / tinyTasks) * 100) / 100,
  };
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

async function main(): Promise<void> {
  const emit = (row: object) => process.stdout.write(`${JSON.stringify(row)}\n`);
  if (process.argv.includes('--calibrate')) {
    emit({ figure: 'calibration', ...(await calibrate()) });
    return;
  }
  const quick = process.argv.includes('--quick');
  const figures = option('--figures', 'sr');
  const scaling: ScalingPoint[] = [];
  const recovery: RecoveryPoint[] = [];
  if (figures.includes('s')) {
    const shardCounts = quick ? [10, 30] : [10, 30, 100, 300, 1000];
    const concurrencies = quick ? [100] : [100, 300, 1000];
    for (const shards of shardCounts) {
      for (const concurrency of concurrencies) {
        const point = await scalingPoint(shards, concurrency, quick ? 5 : 8);
        scaling.push(point);
        emit(point);
      }
    }
  }
  if (figures.includes('r')) {
    const loads = quick ? [0.7] : [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];
    for (const workers of quick ? [5] : [5, 10, 20]) {
      const rates = [...new Set(await ratesForLoads(workers, loads, 1))];
      for (const rate of rates) {
        for (const failure of ['node', 'coordinator'] as const) {
          const point = await recoveryPoint(workers, rate, 1, failure);
          recovery.push(point);
          emit({ figure: 'recovery', ...point });
        }
      }
    }
  }
  if (process.argv.includes('--markdown')) process.stderr.write(markdownTables(scaling, recovery));
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
