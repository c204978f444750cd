/**
 * Profiles the engine's hot paths against a bare loop doing the same computation on the same records.
 *
 *   npx tsx bench/profile.ts                         # every workload, bare / memory / threads, 3 rounds
 *   npx tsx bench/profile.ts --workloads wordcount --runtimes threads --cpu-prof
 *   npx tsx bench/profile.ts --baseline /tmp/base/src/engine    # alternate with another copy of the engine
 *
 * Every measurement is a fresh process (same JIT start for everyone); configurations alternate within
 * each round and the order rotates between rounds, so machine noise spreads over all of them. Reports
 * records/s min/median/max per configuration, and the engine's median over the bare loop's (per worker).
 * With --cpu-prof, each measurement writes V8 CPU profiles (worker threads too) and a summary is printed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bareLoop } from './profile/bare';
import { summarizeCpuProfile } from './profile/cpu-summary';
import type { Workload } from './profile/job';

const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'wordcount,window,grep' },
    runtimes: { type: 'string', default: 'bare,memory,threads' },
    workers: { type: 'string', default: '2' },
    records: { type: 'string', default: '200000' },
    batches: { type: 'string', default: '8' },
    repeat: { type: 'string', default: '3' },
    engine: { type: 'string', default: resolve(__dirname, '../src/engine') },
    baseline: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

/** Batches left out of the figure: worker start-up and JIT warm-up. */
const WARM_UP_BATCHES = 2;

interface Measurement {
  workload: Workload;
  runtime: string;
  engine: string;
  records_per_s: number;
  /** Records per second of CPU used by the whole process (all its threads): robust to a busy machine. */
  records_per_cpu_s: number;
}

async function child(spec: string): Promise<void> {
  const [workload, runtime, engineDir, workers] = spec.split(',') as [Workload, string, string, string];
  const records = Number(values.records);
  const batches = Number(values.batches);
  const times: { records: number; ms: number; cpuMs: number }[] = [];
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  if (runtime === 'bare') {
    const loop = bareLoop(workload);
    for (let b = 0; b < batches; b++) {
      const started = process.hrtime.bigint();
      const cpuStarted = cpuMs();
      loop.batch(b, records);
      times.push({
        records,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        cpuMs: cpuMs() - cpuStarted,
      });
    }
  } else {
    process.env.SLUICE_PROFILE_ENGINE = engineDir;
    process.env.SLUICE_PROFILE_WORKLOAD = workload;
    process.env.SLUICE_PROFILE_RECORDS = String(records);
    const { startEmbedded } = require(join(engineDir, 'runtime'));
    const { ManualClock } = require(engineDir);
    let last = process.hrtime.bigint();
    let lastCpu = cpuMs();
    const job = startEmbedded({
      jobModule: resolve(__dirname, 'profile/job.ts'),
      runtime,
      workers: runtime === 'threads' ? Number(workers) : 1,
      clock: new ManualClock(0, { autoAdvance: true }),
      batches,
      onBatch: (info: { records: number }) => {
        const now = process.hrtime.bigint();
        const cpu = cpuMs();
        times.push({ records: info.records, ms: Number(now - last) / 1e6, cpuMs: cpu - lastCpu });
        last = now;
        lastCpu = cpu;
      },
    });
    await job.done;
  }
  const steady = times.slice(WARM_UP_BATCHES);
  const total = steady.reduce((s, t) => s + t.records, 0);
  const ms = steady.reduce((s, t) => s + t.ms, 0);
  const cpu = steady.reduce((s, t) => s + t.cpuMs, 0);
  const figures = {
    records_per_s: Math.round((total / ms) * 1000),
    records_per_cpu_s: Math.round((total / cpu) * 1000),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

function measure(
  workload: Workload,
  runtime: string,
  engine: string,
  profileDir?: string,
): { records_per_s: number; records_per_cpu_s: number } {
  const args = ['--import', 'tsx'];
  if (profileDir) args.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  args.push(__filename, ...passThrough(), '--child', [workload, runtime, engine, values.workers].join(','));
  const out = execFileSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = out.trim().split('\n').pop()!;
  return JSON.parse(line);
}

function passThrough(): string[] {
  return ['--records', values.records, '--batches', values.batches];
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

async function driver(): Promise<void> {
  const workloads = values.workloads.split(',') as Workload[];
  const runtimes = values.runtimes.split(',');
  const engines = [values.engine, ...(values.baseline ? [resolve(values.baseline)] : [])];
  const configs: { runtime: string; engine: string }[] = [];
  for (const runtime of runtimes) {
    if (runtime === 'bare') configs.push({ runtime, engine: '-' });
    else for (const engine of engines) configs.push({ runtime, engine });
  }
  const profiles = values['cpu-prof'] ? mkdtempSync(join(tmpdir(), 'sluice-profile-')) : undefined;
  const results: Measurement[] = [];
  const repeat = Number(values.repeat);
  for (let round = 0; round < repeat; round++) {
    for (const workload of workloads) {
      const order = configs.map((_, i) => configs[(i + round) % configs.length]);
      for (const { runtime, engine } of order) {
        let dir: string | undefined;
        if (profiles) {
          dir = join(profiles, `${workload}-${runtime}-${engines.indexOf(engine)}-${round}`);
          mkdirSync(dir, { recursive: true });
        }
        const figures = measure(workload, runtime, engine, dir);
        results.push({ workload, runtime, engine, ...figures });
        process.stderr.write(
          `${workload} ${runtime} ${label(engine)} round ${round}: ${figures.records_per_s} records/s, ` +
            `${figures.records_per_cpu_s} records/cpu-s\n`,
        );
      }
    }
  }
  const workers = Number(values.workers);
  for (const workload of workloads) {
    const bare = results.filter((r) => r.workload === workload && r.runtime === 'bare');
    const bareWall = bare.length ? stats(bare.map((r) => r.records_per_s)).median : undefined;
    const bareCpu = bare.length ? stats(bare.map((r) => r.records_per_cpu_s)).median : undefined;
    for (const { runtime, engine } of configs) {
      const rs = results.filter(
        (r) => r.workload === workload && r.runtime === runtime && r.engine === engine,
      );
      const wall = stats(rs.map((r) => r.records_per_s));
      const cpu = stats(rs.map((r) => r.records_per_cpu_s));
      const perWorker = runtime === 'threads' ? workers : 1;
      const ratio = (engineMedian: number, bareMedian: number | undefined, per: number) =>
        bareMedian && runtime !== 'bare' ? Number((engineMedian / per / bareMedian).toFixed(3)) : undefined;
      const line = {
        workload,
        runtime,
        workers: perWorker,
        engine: label(engine),
        records_per_s: wall,
        records_per_cpu_s: cpu,
        // Wall-clock rate per worker over the bare loop's, and CPU efficiency over the bare loop's.
        ratio_per_worker_to_bare: ratio(wall.median, bareWall, perWorker),
        cpu_ratio_to_bare: ratio(cpu.median, bareCpu, 1),
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
  if (profiles) {
    for (const dir of readdirSync(profiles).sort()) {
      if (!dir.endsWith('-0')) continue; // the first round's profiles are enough to read
      for (const file of readdirSync(join(profiles, dir)).sort()) {
        process.stdout.write(`\n== ${dir}\n${summarizeCpuProfile(join(profiles, dir, file))}\n`);
      }
    }
    process.stdout.write(`\nprofiles in ${profiles}\n`);
  }
}

function label(engine: string): string {
  if (engine === '-') return '-';
  return engine === values.engine ? 'current' : 'baseline';
}

(values.child ? child(values.child) : driver()).catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
