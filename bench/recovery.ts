/**
 * `npm run bench:recovery`: the shape of the D-Streams paper's recovery figures, on the embedded runtime
 * (worker-thread task pool, in-memory store, batches back to back on a manual clock, wall time measured).
 *  (a) added delay after losing every cached partition held by one of N workers, for 2 s, 10 s, 30 s checkpoints
 *  (b) processing time of a batch with one straggling task (10x slower), with and without speculation
 *  (c) parallel recovery (2 workers) against recovery on a single worker
 */
import { resolve } from 'node:path';
import { ManualClock, MemoryStore, type Store } from '../src/engine';
import { contextFor } from '../src/engine/api/job';
import type { TaskResult, TaskSpec } from '../src/engine/exec';
import { type FaultCounts, LossyStore } from '../src/engine/io/faults';
import type { InvokeOptions, Invoker } from '../src/engine/io/ports';
import { WorkerPoolInvoker } from '../src/engine/io/worker-pool';
import { loadJobModule } from '../src/engine/runtime/job-loader';

const JOB = resolve(__dirname, 'jobs/recovery-job.ts');
const WORKER = resolve(__dirname, '../src/engine/runtime/worker-main.ts');
const LOSS_AFTER = 58;
const BATCHES = 61;

interface Run {
  /** Wall-clock processing time of each batch, in ms. */
  batchMs: number[];
}

/** Delays one chosen task attempt, like a slow function instance. */
class StragglingInvoker implements Invoker<TaskSpec, TaskResult> {
  private readonly durations: number[] = [];

  constructor(
    private readonly inner: Invoker<TaskSpec, TaskResult>,
    private straggleIn: number,
  ) {}

  get parallelism(): number {
    return this.inner.parallelism;
  }

  async invoke(spec: TaskSpec, options?: InvokeOptions): Promise<TaskResult> {
    if (
      spec.batchTime === this.straggleIn &&
      spec.partition === 0 &&
      spec.attempt === 0 &&
      spec.kind === 'shuffleMap'
    ) {
      this.straggleIn = -1;
      const typical = median(this.durations);
      const result = await this.inner.invoke(spec, options);
      await new Promise((r) => setTimeout(r, 9 * Math.max(typical, result.durationMs)));
      return result;
    }
    const result = await this.inner.invoke(spec, options);
    this.durations.push(result.durationMs);
    return result;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

async function run(options: {
  checkpoint: string;
  workers: number;
  loseWorkerOf?: number;
  straggleIn?: number;
  speculation?: boolean;
}): Promise<Run> {
  // Workers read the job's settings from the environment when they load it: load it afresh here too,
  // or the coordinator would keep the previous run's checkpoint interval (and name other lineage).
  process.env.SLUICE_RECOVERY_CHECKPOINT = options.checkpoint;
  delete require.cache[require.resolve(JOB)];
  const definition = loadJobModule(JOB);
  const ssc = contextFor(definition, () => undefined);
  const counts: FaultCounts = { taskFailures: 0, stragglers: 0, lostObjects: 0 };
  // "One worker's cache": the partitions that worker would hold, here every N-th partition.
  const store: Store = new LossyStore(
    new MemoryStore(),
    (cached, committed) =>
      options.loseWorkerOf && committed === LOSS_AFTER * 1000
        ? cached.filter((e) => Number(e.key.split('/').pop()) % options.loseWorkerOf! === 0).map((e) => e.key)
        : [],
    counts,
  );
  const pool = new WorkerPoolInvoker<TaskSpec, TaskResult>({
    script: WORKER,
    workers: options.workers,
    store,
    workerData: { jobs: { [definition.name]: JOB } },
  });
  const invoker = options.straggleIn ? new StragglingInvoker(pool, options.straggleIn * 1000) : pool;
  const batchMs: number[] = [];
  let last = process.hrtime.bigint();
  ssc.start({
    store,
    invoker,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: BATCHES,
    speculation: { enabled: options.speculation ?? true },
    onBatch: () => {
      const now = process.hrtime.bigint();
      batchMs.push(Number(now - last) / 1e6);
      last = now;
    },
  });
  await ssc.awaitTermination();
  await pool.close();
  return { batchMs };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Steady-state batch time: the median of the batches before the fault, after warm-up. */
function normal(r: Run, before: number): number {
  return median(r.batchMs.slice(10, before - 1));
}

async function main() {
  const results: Record<string, unknown>[] = [];
  const emit = (row: Record<string, unknown>) => {
    results.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  };
  for (const checkpoint of ['2s', '10s', '30s']) {
    const r = await run({ checkpoint, workers: 2, loseWorkerOf: 2 });
    const base = normal(r, LOSS_AFTER);
    const after = r.batchMs[LOSS_AFTER];
    emit({
      figure: 'a',
      checkpoint,
      workers: 2,
      normalBatchMs: Math.round(base),
      recoveryBatchMs: Math.round(after),
      addedDelayMs: Math.round(after - base),
    });
  }
  for (const speculation of [false, true]) {
    const r = await run({ checkpoint: '10s', workers: 2, straggleIn: LOSS_AFTER + 1, speculation });
    const base = normal(r, LOSS_AFTER + 1);
    const slow = r.batchMs[LOSS_AFTER];
    emit({
      figure: 'b',
      speculation,
      normalBatchMs: Math.round(base),
      stragglerBatchMs: Math.round(slow),
      ratio: +(slow / base).toFixed(2),
    });
  }
  for (const workers of [1, 2]) {
    const r = await run({ checkpoint: '10s', workers, loseWorkerOf: 2 });
    const base = normal(r, LOSS_AFTER);
    const after = r.batchMs[LOSS_AFTER];
    emit({
      figure: 'c',
      workers,
      normalBatchMs: Math.round(base),
      recoveryBatchMs: Math.round(after),
      addedDelayMs: Math.round(after - base),
    });
  }
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
