/**
 * `npm run bench:recovery`: the shape of the D-Streams paper's recovery figures, on the embedded runtime
 * (worker-thread task pool, in-memory store, batches back to back on a manual clock, wall time measured).
 *  (a) added delay after losing every cached partition held by one of N workers, for 2 s, 10 s, 30 s
 *      checkpoints, at several points of the checkpoint interval (just after a checkpoint up to just
 *      before the next one, the worst case)
 *  (b) processing time of a batch with one straggling task (10x slower), with and without speculation
 *  (c) parallel recovery (2 workers) against recovery on a single worker
 *
 * Options: --figures abc, --checkpoints 2s,10s,30s, --repeats 3, --stages (print the recovery stages).
 */
import { resolve } from 'node:path';
import { ManualClock, MemoryStore, type Store } from '../src/engine';
import { contextFor } from '../src/engine/api/job';
import type { TaskResult, TaskSpec } from '../src/engine/exec';
import type { InvokeOptions, Invoker } from '../src/engine/io/ports';
import { WorkerPoolInvoker } from '../src/engine/io/worker-pool';
import { loadJobModule } from '../src/engine/runtime/job-loader';
import { readManifest } from '../src/engine/schedule/manifest';
import { type FaultCounts, LossyStore } from './faults';

const JOB = resolve(__dirname, 'jobs/recovery-job.ts');
const WORKER = resolve(__dirname, '../src/engine/runtime/worker-main.ts');
/** Batches before the first fault: JIT warm-up and a full 10 s window. */
const WARM_UP = 20;

interface Run {
  /** Wall-clock processing time of each batch, in ms (index 0 is the batch at 1 s). */
  batchMs: number[];
  store: Store;
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
  batches: number;
  /** Batches after whose commit one worker's cache is lost. */
  losses?: number[];
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
  const losses = new Set((options.losses ?? []).map((b) => b * 1000));
  // "One worker's cache": the partitions that worker would hold, here every other partition: cached
  // partitions, shuffle files and input blocks alike. Checkpoints are durable and stay.
  const store: Store = new LossyStore(
    new MemoryStore(),
    (cached, committed) =>
      losses.has(committed)
        ? cached.filter((e) => Number(e.key.split('/').pop()) % 2 === 0).map((e) => e.key)
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
    batches: options.batches,
    speculation: { enabled: options.speculation ?? true },
    onBatch: () => {
      const now = process.hrtime.bigint();
      batchMs.push(Number(now - last) / 1e6);
      last = now;
    },
  });
  await ssc.awaitTermination();
  await pool.close();
  return { batchMs, store };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Steady-state batch time: the median of the warmed-up batches before the first fault. */
function normal(r: Run, firstFault: number): number {
  return median(r.batchMs.slice(10, firstFault - 1));
}

/** Time of batch `n` (1-based: batch n ends at n seconds). */
function batchTime(r: Run, n: number): number {
  return r.batchMs[n - 1];
}

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

/**
 * Loss points across one checkpoint interval of `every` batches, starting after the first checkpoint
 * past the warm-up: 1 batch after it, then evenly up to `every - 1` batches after it (the worst case,
 * where recovery goes back furthest). At least 4 batches apart, so one recovery ends before the next.
 */
function lossPoints(every: number): number[] {
  const base = Math.ceil(WARM_UP / every) * every;
  if (every < 6) {
    // Every loss point is at most a few batches past a checkpoint: three of them, a checkpoint apart.
    const step = every * Math.ceil(4 / every);
    return [0, 1, 2].map((k) => base + k * step + every - 1);
  }
  const count = Math.min(5, Math.floor((every - 2) / 4) + 1);
  return Array.from({ length: count }, (_, k) => base + 1 + Math.round((k * (every - 2)) / (count - 1)));
}

/** What the first batch after a loss recorded about its recovery work. */
async function recoveryOf(r: Run, lossAfter: number, showStages: boolean) {
  const manifest = await readManifest(r.store, (lossAfter + 1) * 1000);
  if (!manifest?.recovery) return {};
  const stages = manifest.stages.filter((s) => s.recovery);
  return {
    recoveryStages: stages.length,
    recoveryTasks: stages.reduce((sum, s) => sum + s.partitions, 0),
    ...(showStages
      ? {
          stages: manifest.stages.map(
            (s) =>
              `${s.kind} ${s.operator} ${s.node} tasks=${s.partitions} attempts=${s.attempts}` +
              ` speculated=${s.speculated ?? 0} ${s.durationMs}ms`,
          ),
        }
      : {}),
  };
}

async function main() {
  const figures = argument('--figures', 'abc');
  const checkpoints = argument('--checkpoints', '2s,10s,30s').split(',');
  const repeats = Number(argument('--repeats', '3'));
  const showStages = process.argv.includes('--stages');
  const emit = (row: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(row)}\n`);

  if (figures.includes('a')) {
    for (const checkpoint of checkpoints) {
      const every = Number.parseInt(checkpoint, 10);
      const losses = lossPoints(every);
      const added = new Map<number, number[]>(losses.map((l) => [l, []]));
      let normalMs = 0;
      for (let i = 0; i < repeats; i++) {
        const r = await run({ checkpoint, workers: 2, batches: losses.at(-1)! + 2, losses });
        const base = normal(r, losses[0]);
        normalMs = Math.max(normalMs, base);
        for (const loss of losses) {
          added.get(loss)!.push(batchTime(r, loss + 1) - base);
          if (showStages && i === 0) emit({ loss, ...(await recoveryOf(r, loss, true)) });
        }
      }
      const points = losses.map((loss) => ({
        batchesSinceCheckpoint: loss % every,
        addedDelayMs: Math.round(median(added.get(loss)!)),
        worstAddedDelayMs: Math.round(Math.max(...added.get(loss)!)),
      }));
      emit({
        figure: 'a',
        checkpoint,
        workers: 2,
        repeats,
        normalBatchMs: Math.round(normalMs),
        meanAddedDelayMs: Math.round(points.reduce((s, p) => s + p.addedDelayMs, 0) / points.length),
        worstAddedDelayMs: Math.max(...points.map((p) => p.worstAddedDelayMs)),
        points,
      });
    }
  }
  if (figures.includes('b')) {
    const straggleIn = WARM_UP + 5;
    for (const speculation of [false, true]) {
      const ratios: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const r = await run({
          checkpoint: '10s',
          workers: 2,
          batches: straggleIn + 2,
          straggleIn,
          speculation,
        });
        ratios.push(batchTime(r, straggleIn) / normal(r, straggleIn));
      }
      emit({
        figure: 'b',
        speculation,
        medianRatio: +median(ratios).toFixed(2),
        worstRatio: +Math.max(...ratios).toFixed(2),
      });
    }
  }
  if (figures.includes('c')) {
    // The worst loss point of a 10 s checkpoint interval.
    const loss = Math.ceil(WARM_UP / 10) * 10 + 9;
    for (const workers of [1, 2]) {
      const added: number[] = [];
      let base = 0;
      for (let i = 0; i < repeats; i++) {
        const r = await run({ checkpoint: '10s', workers, batches: loss + 2, losses: [loss] });
        base = normal(r, loss);
        added.push(batchTime(r, loss + 1) - base);
      }
      emit({
        figure: 'c',
        workers,
        normalBatchMs: Math.round(base),
        addedDelayMs: Math.round(median(added)),
        worstAddedDelayMs: Math.round(Math.max(...added)),
      });
    }
  }
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
