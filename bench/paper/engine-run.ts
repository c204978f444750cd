/**
 * One engine run of a paper workload: the job module on the embedded runtime at a given input rate,
 * batches back to back on an auto-advancing manual clock, each batch's wall-clock processing time and
 * S3 requests recorded.
 */
import { resolve } from 'node:path';
import { ManualClock, MemoryStore } from '../../src/engine';
import { type EmbeddedRuntime, startEmbedded } from '../../src/engine/runtime';
import { RATE_ENV, type Workload } from './workloads';

export interface EngineRunOptions {
  workload: Workload;
  runtime: EmbeddedRuntime;
  workers: number;
  /** Records per second of stream time (1 s batches: records per batch). */
  rate: number;
  batches: number;
}

export interface EngineRun {
  /** Wall-clock time from the end of the previous batch (or the start) to the end of each batch. */
  processingMs: number[];
  records: number[];
  /** S3 requests of each batch, every kind (the engine's own count: what the batch would make on AWS). */
  requests: number[];
  /** CPU time of the whole process (every thread) during each batch, in ms: robust to a busy machine. */
  cpuMs: number[];
  /** Highest resident set size sampled during the run (the process: coordinator and worker threads). */
  peakRssBytes: number;
}

export async function runEngine(options: EngineRunOptions): Promise<EngineRun> {
  // Worker threads copy the environment when they start, so they see the same rate as this process.
  process.env[RATE_ENV] = String(options.rate);
  const run: EngineRun = { processingMs: [], cpuMs: [], records: [], requests: [], peakRssBytes: 0 };
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  let lastCpu = cpuMs();
  const sampleRss = () => {
    run.peakRssBytes = Math.max(run.peakRssBytes, process.memoryUsage.rss());
  };
  const sampler = setInterval(sampleRss, 50);
  let last = process.hrtime.bigint();
  const job = startEmbedded({
    jobModule: resolve(__dirname, `../jobs/paper-${options.workload}.ts`),
    runtime: options.runtime,
    workers: options.workers,
    store: new MemoryStore(),
    clock: new ManualClock(0, { autoAdvance: true }),
    batches: options.batches,
    log: () => undefined,
    onBatch: (info) => {
      const now = process.hrtime.bigint();
      run.processingMs.push(Number(now - last) / 1e6);
      const cpu = cpuMs();
      run.cpuMs.push(cpu - lastCpu);
      lastCpu = cpu;
      run.records.push(info.records);
      const r = info.requests;
      run.requests.push(r.s3Put + r.s3Get + r.s3Head + r.s3List + r.s3Delete);
      last = now;
      sampleRss();
    },
  });
  try {
    await job.done;
  } finally {
    clearInterval(sampler);
  }
  sampleRss();
  return run;
}
