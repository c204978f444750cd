/**
 * A quick look at one paper workload, for profiling (no rate search, no judgement): engine runs at a
 * fixed rate alternating with the bare loops, each batch's capacity in records per second of processing
 * and per CPU second of the whole process (`*Cpu`: all threads; steadier than wall clock on a busy machine).
 *   npx tsx bench/paper/probe.ts --workload wordcount --runtime threads --workers 1 --rate 300000
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/paper/probe.ts --workload grep ...
 * `--api strings` runs the string version of the jobs (SLUICE_PAPER_API).
 */
import { parseArgs } from 'node:util';
import { bareLoop } from './bare-loops';
import { runEngine } from './engine-run';
import { spread } from './sustain';
import { API_ENV, type Api, type Workload } from './workloads';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'wordcount' },
    runtime: { type: 'string', default: 'threads' },
    workers: { type: 'string', default: '1' },
    rate: { type: 'string', default: '300000' },
    batches: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '2' },
    api: { type: 'string', default: 'bytes' },
  },
});

const WARMUP = 2;

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Records per second of wall clock and per CPU second of the bare loop. */
function bare(workload: Workload, rate: number, api: Api): [number, number] {
  const loop = bareLoop(workload, rate, 1000, api);
  const batches = 8;
  const started = process.hrtime.bigint();
  const cpu = cpuSeconds();
  for (let k = 0; k < batches; k++) loop.batch(k);
  const records = rate * batches;
  return [records / (Number(process.hrtime.bigint() - started) / 1e9), records / (cpuSeconds() - cpu)];
}

async function main() {
  const workload = values.workload as Workload;
  const rate = Number(values.rate);
  process.env[API_ENV] = values.api;
  const figures: Record<string, number[]> = {
    engine: [],
    engineCpu: [],
    bareBytes: [],
    bareBytesCpu: [],
    bareStrings: [],
    bareStringsCpu: [],
  };
  for (let round = 0; round < Number(values.rounds); round++) {
    const run = await runEngine({
      workload,
      runtime: values.runtime as 'memory' | 'threads',
      workers: Number(values.workers),
      rate,
      batches: WARMUP + Number(values.batches),
    });
    const capacities = run.processingMs.slice(WARMUP).map((ms, i) => run.records[WARMUP + i] / (ms / 1000));
    figures.engine.push(...capacities);
    figures.engineCpu.push(...run.cpuMs.slice(WARMUP).map((ms, i) => run.records[WARMUP + i] / (ms / 1000)));
    const bareRate = Math.min(rate, 200_000);
    const [bytes, bytesCpu] = bare(workload, bareRate, 'bytes');
    const [strings, stringsCpu] = bare(workload, bareRate, 'strings');
    figures.bareBytes.push(bytes);
    figures.bareBytesCpu.push(bytesCpu);
    figures.bareStrings.push(strings);
    figures.bareStringsCpu.push(stringsCpu);
    process.stderr.write(`round ${round}: peak RSS ${Math.round(run.peakRssBytes / 2 ** 20)} MB\n`);
  }
  const round = (x: number) => Math.round(x);
  for (const [name, xs] of Object.entries(figures)) {
    const s = spread(xs);
    process.stdout.write(
      `${JSON.stringify({ workload, runtime: values.runtime, workers: Number(values.workers), api: values.api, figure: name, min: round(s.min), median: round(s.median), max: round(s.max) })}\n`,
    );
  }
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
