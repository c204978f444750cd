/**
 * `npm start`: runs the word-count demo on the embedded runtime and prints every batch.
 *   npm start -- --duration 5         stop cleanly after 5 seconds (default: until Ctrl-C)
 *   npm start -- --runtime memory     run tasks in this thread instead of a worker-thread pool
 *   npm start -- --workers 4          size of the worker pool
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbedded } from '../src/engine/runtime';

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      runtime: { type: 'string', default: 'threads' },
      workers: { type: 'string', default: '2' },
      job: { type: 'string', default: resolve(__dirname, 'jobs/wordcount.ts') },
    },
  });
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0))
    fail(`--duration must be a positive number of seconds, got '${values.duration}'`);
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers <= 0)
    fail(`--workers must be a positive whole number, got '${values.workers}'`);
  if (values.runtime !== 'threads' && values.runtime !== 'memory') {
    fail(`--runtime must be 'threads' or 'memory', got '${values.runtime}'`);
  }
  return { duration, workers, runtime: values.runtime as 'threads' | 'memory', job: values.job! };
}

function fail(message: string): never {
  process.stderr.write(`sluice demo: ${message}\n`);
  process.exit(2);
}

async function main() {
  const { duration, workers, runtime, job } = options();
  process.stdout.write(
    `sluice demo: ${job} on the ${runtime} runtime with ${workers} workers; Ctrl-C stops\n`,
  );
  const running = startEmbedded({
    jobModule: job,
    runtime,
    workers,
    onBatch: (info) =>
      process.stdout.write(
        `  records=${info.records} schedulingDelay=${info.schedulingDelayMs}ms processing=${info.processingMs}ms tasks=${info.tasks}\n`,
      ),
  });
  const stop = () => void running.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const timer = duration === undefined ? undefined : setTimeout(stop, duration * 1000);
  try {
    await running.done;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  process.stdout.write('sluice demo: stopped\n');
}

main().catch((error) => {
  process.stderr.write(
    `sluice demo failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
  );
  process.exitCode = 1;
});
