/**
 * Starting one worker thread for the pool. `.ts` entry files run from an esbuild bundle (see
 * worker-bundle.ts); tsx is still registered, through its CommonJS hook (`--import tsx` in execArgv does
 * not cover eval'd workers), for what the worker loads at run time, such as a TypeScript job module.
 * Without a bundle the script itself goes through tsx.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { ConfigError } from '../util/errors';
import { bundledWorkerScript } from './worker-bundle';

/**
 * A task's partition of records lives until the task ends: with V8's default young generation (16 MB
 * semi-spaces) a partition of a few hundred thousand rows outlives several scavenges and is copied into
 * the old generation, which then needs full collections. Room for it in the young generation gave the
 * paper's Grep and WordCount 35-55% more records per CPU second; it costs about 50 MB of RSS per worker.
 */
const YOUNG_GENERATION_MB = 192;

export function startWorker(script: string, given: WorkerOptions): Worker {
  // The environment as this module sees it (a test runner may give modules their own copy).
  const options = {
    env: process.env,
    ...given,
    resourceLimits: given.resourceLimits ?? { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  };
  if (!script.endsWith('.ts')) return new Worker(script, options);
  const entry = bundledWorkerScript(script) ?? script;
  const source =
    `require(${JSON.stringify(resolveTsx())}).register(); ` +
    `process.setSourceMapsEnabled(true); require(${JSON.stringify(entry)});`;
  return new Worker(source, { ...options, eval: true });
}

function resolveTsx(): string {
  try {
    // Resolved here rather than in the worker, whose eval'd code resolves from the working directory.
    return require.resolve('tsx/cjs/api');
  } catch (error) {
    throw new ConfigError('running a .ts worker script needs the tsx package', {}, { cause: error });
  }
}
