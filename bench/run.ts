/**
 * `npm run bench`: the D-Streams paper's workloads (Grep, WordCount over a 30 s window, TopK) on the
 * embedded runtime, each at its highest sustainable rate with 1 s batches, beside a bare single-threaded
 * loop doing the same computation on the same records. One JSON line per measurement; the method is in
 * docs/BENCHMARKS.md.
 *   npm run bench                        every workload on memory/1, threads/1, threads/2
 *   npm run bench -- --quick             memory/1 and threads/2, a few batches each at a modest rate (CI)
 *   npm run bench -- --workloads grep --configs threads:2 --trials 4
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { MeasureOptions } from './paper/measure';
import { WORKLOADS, type Workload } from './paper/workloads';

/** Starting guesses per worker (records/s); a calibration run refines them. */
const GUESS: Record<Workload, number> = { grep: 2_000_000, wordcount: 250_000, topk: 250_000 };

function plan(quick: boolean, trials: number | undefined) {
  return (
    workload: Workload,
  ): Omit<MeasureOptions, 'workload' | 'runtime' | 'workers' | 'guess'> & {
    guessShare: number;
  } => {
    // The windowed workloads' baseline runs past the 30-batch window, so it subtracts as well as adds.
    const baselineRate = workload === 'grep' ? 200_000 : 40_000;
    if (quick) {
      // No search: one short run at a modest rate, so CI sees the whole path work and its figures.
      return {
        batches: 3,
        warmup: 1,
        calibrationBatches: 0,
        trials: trials ?? 1,
        baseline: { ratePerBatch: baselineRate / 4, batches: 3 },
        minBaselines: 3,
        guessShare: 0.3,
      };
    }
    return {
      // 40 judged batches: for the windowed workloads the last 12 run with the window full.
      batches: 40,
      warmup: 2,
      calibrationBatches: 5,
      trials: trials ?? 3,
      baseline: { ratePerBatch: baselineRate, batches: workload === 'grep' ? 20 : 35 },
      minBaselines: 3,
      guessShare: 1,
    };
  };
}

function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      workloads: { type: 'string', default: WORKLOADS.join(',') },
      configs: { type: 'string' },
      trials: { type: 'string' },
    },
  });
  const workloads = values.workloads.split(',') as Workload[];
  for (const w of workloads) {
    if (!WORKLOADS.includes(w)) throw new Error(`unknown workload '${w}': use ${WORKLOADS.join(', ')}`);
  }
  const configs = (values.configs ?? (values.quick ? 'memory:1,threads:2' : 'memory:1,threads:1,threads:2'))
    .split(',')
    .map((c) => {
      const [runtime, workers] = c.split(':');
      if ((runtime !== 'memory' && runtime !== 'threads') || !(Number(workers) >= 1)) {
        throw new Error(`bad config '${c}': use memory:N or threads:N`);
      }
      return { runtime, workers: Number(workers) } as const;
    });
  const settings = plan(values.quick, values.trials ? Number(values.trials) : undefined);
  for (const workload of workloads) {
    for (const { runtime, workers } of configs) {
      const { guessShare, ...rest } = settings(workload);
      const options: MeasureOptions = {
        workload,
        runtime,
        workers,
        guess: GUESS[workload] * workers * guessShare,
        ...rest,
      };
      // A process per measurement: its peak RSS is its own, and no run inherits another's heap. The
      // memory runtime runs tasks on the main thread: it gets the young generation worker threads get
      // (src/engine/io/worker-start.ts).
      const young = runtime === 'memory' ? ['--max-semi-space-size=64'] : [];
      const line = execFileSync(
        process.execPath,
        [...young, '--import', 'tsx', resolve(__dirname, 'paper/measure.ts'), JSON.stringify(options)],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
      );
      process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
    }
  }
}

main();
