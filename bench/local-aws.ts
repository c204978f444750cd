/**
 * `npm run bench:local-aws`: does the local AWS path (`npm start -- --runtime local-aws`) keep up?
 * For each rate, runs the demo for `--seconds` after a warm-up, in a fresh process each time
 * (bench/local-aws-run.ts), and prints one JSON line per rate (and checkout) with min/median/max of
 * per-batch processing time and scheduling delay over the measured batches of all repeats.
 *   npm run bench:local-aws -- [--rates 2000,5000,10000,20000] [--seconds 20] [--repeats 1]
 *                              [--baseline /path/to/other/checkout]
 * With --baseline, the baseline checkout and this one alternate run by run (the machine is noisy).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface RunOutput {
  rate: number;
  producedPerSecond: number;
  batches: { records: number; delayMs: number; processingMs: number; tasks: number }[];
}

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '2000,5000,10000,20000' },
    seconds: { type: 'string', default: '20' },
    repeats: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
    baseline: { type: 'string' },
  },
});

const INTERVAL_MS = 1000;

function runOnce(root: string, rate: number): Promise<RunOutput> {
  const runner = resolve(__dirname, 'local-aws-run.ts');
  const args = ['tsx', runner, '--root', root, '--rate', String(rate), '--seconds', values.seconds!];
  args.push('--workers', values.workers!);
  return new Promise((done, fail) => {
    const child = spawn('npx', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line)
        fail(new Error(`run at ${rate}/s in ${root} failed (${code}): ${err.slice(-2000)}`));
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

function summary(checkout: string, rate: number, runs: RunOutput[]) {
  const batches = runs.flatMap((r) => r.batches);
  return {
    checkout,
    rate,
    runs: runs.length,
    batches: batches.length,
    produced_per_s: spread(runs.map((r) => r.producedPerSecond)),
    records_per_batch: spread(batches.map((b) => b.records)),
    processing_ms: spread(batches.map((b) => b.processingMs)),
    scheduling_delay_ms: spread(batches.map((b) => b.delayMs)),
    tasks_per_batch: spread(batches.map((b) => b.tasks)),
    kept_up: keptUp(runs),
  };
}

async function main() {
  const rates = values.rates!.split(',').map(Number);
  const checkouts = [
    ...(values.baseline ? [{ name: 'baseline', root: resolve(values.baseline) }] : []),
    { name: 'current', root: resolve(__dirname, '..') },
  ];
  const results = new Map<string, RunOutput[]>();
  const load = [loadavg()];
  for (let repeat = 0; repeat < Number(values.repeats); repeat++) {
    for (const rate of rates) {
      for (const { name, root } of checkouts) {
        const run = await runOnce(root, rate);
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
