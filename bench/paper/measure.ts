/**
 * One measurement (a workload on one runtime and worker count), in a process of its own so that its
 * peak RSS is its own: the bare loop and engine runs alternate, the engine's rate is searched for the
 * highest sustainable one, and one JSON line is printed.
 *   tsx bench/paper/measure.ts '{"workload":"wordcount","runtime":"threads","workers":2,...}'
 */
import { loadavg } from 'node:os';
import { bareLoop } from './bare-loops';
import { type EngineRun, runEngine } from './engine-run';
import { judge, percentile, spread } from './sustain';
import type { Api, Workload } from './workloads';

export interface MeasureOptions {
  workload: Workload;
  runtime: 'memory' | 'threads';
  workers: number;
  /** First rate tried (records/s): refined by a short calibration run, or tried as is without one. */
  guess: number;
  /** Batches judged per trial, after `warmup` batches that are not (worker start-up, JIT). */
  batches: number;
  warmup: number;
  calibrationBatches: number;
  /** Engine trials at candidate rates, after calibration. */
  trials: number;
  baseline: { ratePerBatch: number; batches: number };
  /** Bare-loop runs at the end, alternating with nothing, up to this many in all (at least 3). */
  minBaselines: number;
}

const INTERVAL_MS = 1000;
const EXTRA_TRIALS = 3;

/** Records/s of the bare loop over `batches` batches; the loop state is fresh each run. */
function runBaseline(
  workload: Workload,
  { ratePerBatch, batches }: MeasureOptions['baseline'],
  api: Api = 'bytes',
): number {
  const loop = bareLoop(workload, ratePerBatch, INTERVAL_MS, api);
  const started = process.hrtime.bigint();
  for (let k = 0; k < batches; k++) loop.batch(k);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (ratePerBatch * batches) / seconds;
}

/** Records per second of processing, batch by batch, after the warm-up. */
function capacities(run: EngineRun, warmup: number): number[] {
  return run.processingMs.slice(warmup).map((ms, i) => run.records[warmup + i] / (ms / 1000));
}

function roundRate(rate: number): number {
  const step = 10 ** Math.max(0, Math.floor(Math.log10(rate)) - 2);
  return Math.max(1000, Math.round(rate / step) * step);
}

async function measure(o: MeasureOptions) {
  const loadAtStart = loadavg()[0];
  // The byte loop (the ratio's baseline) and the string loop, run back to back every time.
  const baselines: number[] = [];
  const stringBaselines: number[] = [];
  const runBaselines = () => {
    baselines.push(runBaseline(o.workload, o.baseline, 'bytes'));
    stringBaselines.push(runBaseline(o.workload, o.baseline, 'strings'));
  };
  runBaselines();
  const engine = (rate: number, batches: number) =>
    runEngine({ workload: o.workload, runtime: o.runtime, workers: o.workers, rate, batches });

  let rate = roundRate(o.guess);
  if (o.calibrationBatches > 0) {
    const calibration = await engine(rate, o.warmup + o.calibrationBatches);
    runBaselines();
    rate = roundRate(0.9 * percentile(capacities(calibration, o.warmup), 50));
  }

  const trials: { rate: number; sustainable: boolean }[] = [];
  let best: { rate: number; run: EngineRun; verdict: ReturnType<typeof judge> } | undefined;
  let lastTried: typeof best;
  let lowestFailing = Number.POSITIVE_INFINITY;
  // Past the planned trials only while no rate has held yet, so every full run ends with a sustained rate.
  for (let t = 0; t < o.trials || (!best && t < o.trials + EXTRA_TRIALS); t++) {
    const run = await engine(rate, o.warmup + o.batches);
    runBaselines();
    const verdict = judge(run.processingMs.slice(o.warmup), INTERVAL_MS);
    trials.push({ rate, sustainable: verdict.sustainable });
    lastTried = { rate, run, verdict };
    if (verdict.sustainable) best = lastTried;
    else lowestFailing = Math.min(lowestFailing, rate);
    // Up by 15% until a rate fails; down to 0.9x what the failing run managed (at most 0.8x) until one
    // holds; then bisect (geometric mean).
    const managed = 0.9 * percentile(capacities(run, o.warmup), 50);
    const next = !best
      ? Math.min(rate * 0.8, managed)
      : Number.isFinite(lowestFailing)
        ? Math.sqrt(best.rate * lowestFailing)
        : rate * 1.15;
    if (best && lowestFailing / best.rate < 1.08) break;
    rate = roundRate(next);
  }
  while (baselines.length < o.minBaselines) runBaselines();
  const chosen = best ?? lastTried!;
  const steady = chosen.run.processingMs.length - o.warmup;
  const requests = chosen.run.requests.slice(o.warmup).reduce((a, b) => a + b, 0);
  const baseline = spread(baselines);
  const stringBaseline = spread(stringBaselines);
  const capacity = spread(capacities(chosen.run, o.warmup));
  const mb = (kb: number) => Math.round(kb / 1024);
  return {
    workload: o.workload,
    runtime: o.runtime,
    workers: o.workers,
    interval_ms: INTERVAL_MS,
    records_per_s: chosen.rate,
    p50_latency_ms: Math.round(percentile(chosen.verdict.latencyMs, 50)),
    p99_latency_ms: Math.round(percentile(chosen.verdict.latencyMs, 99)),
    peak_rss_mb: Math.round(chosen.run.peakRssBytes / 2 ** 20),
    // The whole measurement's peak, calibration at a higher rate and baseline runs included.
    process_max_rss_mb: mb(process.resourceUsage().maxRSS),
    baseline_records_per_s: Math.round(baseline.median),
    ratio: Number((chosen.rate / o.workers / baseline.median).toFixed(3)),
    s3_requests_per_batch: Number((requests / steady).toFixed(2)),
    sustained: chosen.verdict.sustainable,
    batches: steady,
    max_scheduling_delay_ms: Math.round(chosen.verdict.maxDelayMs),
    batches_over_interval: chosen.verdict.overInterval,
    baseline_min: Math.round(baseline.min),
    baseline_median: Math.round(baseline.median),
    baseline_max: Math.round(baseline.max),
    baseline_runs: baselines.length,
    // The same loops over decoded strings (split, includes, a Map), for the engine's string jobs.
    string_baseline_min: Math.round(stringBaseline.min),
    string_baseline_median: Math.round(stringBaseline.median),
    string_baseline_max: Math.round(stringBaseline.max),
    string_ratio: Number((chosen.rate / o.workers / stringBaseline.median).toFixed(3)),
    capacity_min: Math.round(capacity.min),
    capacity_median: Math.round(capacity.median),
    capacity_max: Math.round(capacity.max),
    trials,
    // The machine is shared: the 1-minute load average before and after says how much CPU was left.
    load_avg_1m: [Number(loadAtStart.toFixed(1)), Number(loadavg()[0].toFixed(1))],
  };
}

if (require.main === module) {
  measure(JSON.parse(process.argv[2]) as MeasureOptions).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error) => {
      process.stderr.write(`${error?.stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
