/**
 * `npm run bench`: throughput of the paper's WordCount over 100-byte records on the embedded runtime.
 * Batches run back to back on a manual clock, so the figure is processing capacity, not the input rate.
 *   npm run bench -- --batches 5 --runtime threads --workers 2
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ManualClock } from '../src/engine';
import { startEmbedded } from '../src/engine/runtime';
import { RATE } from './jobs/wordcount-100b';

async function main() {
  const { values } = parseArgs({
    options: {
      batches: { type: 'string', default: '5' },
      runtime: { type: 'string', default: 'threads' },
      workers: { type: 'string', default: '2' },
    },
  });
  const batches = Number(values.batches);
  const infos: { records: number; processingMs: number }[] = [];
  const started = process.hrtime.bigint();
  let last = started;
  const job = startEmbedded({
    jobModule: resolve(__dirname, 'jobs/wordcount-100b.ts'),
    runtime: values.runtime as 'threads' | 'memory',
    workers: Number(values.workers),
    clock: new ManualClock(0, { autoAdvance: true }),
    batches,
    onBatch: (info) => {
      const now = process.hrtime.bigint();
      infos.push({ records: info.records, processingMs: Number(now - last) / 1e6 });
      last = now;
    },
  });
  await job.done;
  // The first batch includes worker start-up and JIT warm-up; report it apart.
  const steady = infos.slice(1);
  const records = steady.reduce((s, i) => s + i.records, 0);
  const ms = steady.reduce((s, i) => s + i.processingMs, 0);
  const result = {
    workload: 'wordcount-100b',
    runtime: values.runtime,
    workers: Number(values.workers),
    recordsPerBatch: RATE,
    batches,
    firstBatchMs: Math.round(infos[0]?.processingMs ?? 0),
    steadyBatchMs: Math.round(ms / Math.max(1, steady.length)),
    recordsPerSecond: Math.round((records / ms) * 1000),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
