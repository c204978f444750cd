/**
 * `npm run bench:local-aws`: does the local AWS path (`npm start -- --runtime local-aws`) keep up?
 * For each rate, runs the demo for `--seconds` after a warm-up, in a fresh process each time
 * (bench/local-aws-run.ts), and prints one JSON line per rate (and checkout) with min/median/max of
 * per-batch processing time and scheduling delay over the measured batches of all repeats.
 *   npm run bench:local-aws -- [--rates 2000,5000,10000,20000] [--seconds 20] [--repeats 1]
 *                              [--baseline /path/to/other/checkout] [--plain]
 * With --baseline, the baseline checkout and this one alternate run by run (the machine is noisy); with
 * --plain, this checkout also runs with one Kinesis record per event (no KPL aggregation).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface RunOutput {
  rate: number;
  producedPerSecond: number;
  batches: {
    records: number;
    delayMs: number;
    processingMs: number;
    /** Undefined for checkouts whose batches do not count their requests. */
    invocations?: number;
    getRecords?: number;
    s3Requests?: number;
  }[];
}

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '2000,5000,10000,20000' },
    seconds: { type: 'string', default: '20' },
    repeats: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
    baseline: { type: 'string' },
    plain: { type: 'boolean', default: false },
  },
});

const INTERVAL_MS = 1000;
/** How long a run may take to stop once it has printed its figures. */
const STOP_GRACE_MS = 60_000;

interface Checkout {
  name: string;
  root: string;
  args: string[];
}

function runOnce({ root, args: extra }: Checkout, rate: number): Promise<RunOutput> {
  const runner = resolve(__dirname, 'local-aws-run.ts');
  const args = ['tsx', runner, '--root', root, '--rate', String(rate), '--seconds', values.seconds!];
  args.push('--workers', values.workers!, ...extra);
  return new Promise((done, fail) => {
    // Its own process group, so that a run slow to stop can be ended with everything it started.
    const child = spawn('npx', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    let stopTimer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (!stopTimer && out.split('\n').some((l) => l.startsWith('{'))) {
        stopTimer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), STOP_GRACE_MS);
      }
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('exit', (code) => {
      clearTimeout(stopTimer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) fail(new Error(`run at ${rate}/s in ${root} failed (${code}): ${err.slice(-2000)}`));
      else done(JSON.parse(line) as RunOutput);
    });
  });
}

function spread(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { min: sorted[0], median: at(0.5), max: sorted[sorted.length - 1] };
}

/** Kept up: batches processed within the interval and the delay not growing from the first half to the second. */
function keptUp(runs: RunOutput[]): boolean {
  return runs.every((run) => {
    const b = run.batches;
    const half = Math.floor(b.length / 2);
    const delays = (part: typeof b) => spread(part.map((x) => x.delayMs)).median;
    const processing = spread(b.map((x) => x.processingMs)).median;
    return (
      b.length > 2 && processing < INTERVAL_MS && delays(b.slice(half)) <= delays(b.slice(0, half)) + 200
    );
  });
}

/** Records the measured batches took in, per second of batch time. */
function processedPerSecond(run: RunOutput): number {
  const records = run.batches.reduce((sum, b) => sum + b.records, 0);
  return Math.round(records / ((run.batches.length * INTERVAL_MS) / 1000));
}

function summary(checkout: string, rate: number, runs: RunOutput[]) {
  const batches = runs.flatMap((r) => r.batches);
  return {
    checkout,
    rate,
    runs: runs.length,
    batches: batches.length,
    produced_per_s: spread(runs.map((r) => r.producedPerSecond)),
    processed_per_s: spread(runs.map((r) => processedPerSecond(r))),
    records_per_batch: spread(batches.map((b) => b.records)),
    processing_ms: spread(batches.map((b) => b.processingMs)),
    scheduling_delay_ms: spread(batches.map((b) => b.delayMs)),
    invocations_per_batch: spread(batches.map((b) => b.invocations ?? Number.NaN)),
    get_records_per_batch: spread(batches.map((b) => b.getRecords ?? Number.NaN)),
    s3_requests_per_batch: spread(batches.map((b) => b.s3Requests ?? Number.NaN)),
    kept_up: keptUp(runs),
  };
}

async function main() {
  const rates = values.rates!.split(',').map(Number);
  const current = resolve(__dirname, '..');
  const checkouts: Checkout[] = [
    ...(values.baseline ? [{ name: 'baseline', root: resolve(values.baseline), args: [] }] : []),
    { name: 'current', root: current, args: [] },
    ...(values.plain ? [{ name: 'current-plain', root: current, args: ['--plain'] }] : []),
  ];
  const results = new Map<string, RunOutput[]>();
  const load = [loadavg()];
  for (let repeat = 0; repeat < Number(values.repeats); repeat++) {
    for (const rate of rates) {
      for (const checkout of checkouts) {
        const { name } = checkout;
        const run = await runOnce(checkout, rate);
        const key = `${name}@${rate}`;
        results.set(key, [...(results.get(key) ?? []), run]);
        process.stderr.write(
          `${key} #${repeat + 1}: ${JSON.stringify(summary(name, rate, [run]).processing_ms)} processing, delay ${JSON.stringify(summary(name, rate, [run]).scheduling_delay_ms)}\n`,
        );
      }
    }
    load.push(loadavg());
  }
  for (const rate of rates) {
    for (const { name } of checkouts) {
      process.stdout.write(`${JSON.stringify(summary(name, rate, results.get(`${name}@${rate}`)!))}\n`);
    }
  }
  process.stdout.write(`${JSON.stringify({ load_average_1m: load.map((l) => Number(l[0].toFixed(2))) })}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench:local-aws failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});
