/**
 * A task "function instance" of the embedded local AWS: a worker thread that runs the task Lambda's body
 * with its own AWS clients, configured from the environment exactly like the deployed function.
 */
import { workerData } from 'node:worker_threads';
import { contextFor } from '../api/job';
import { serveTasks } from '../io/worker-host';
import { configFromEnv } from './config';
import { loadJobModule } from './job-loader';
import { taskFunction } from './lambda';

// The function's configuration, as Lambda would set it in the instance's environment.
Object.assign(process.env, (workerData as { env?: Record<string, string> } | undefined)?.env ?? {});

let run: ReturnType<typeof taskFunction> | undefined;

serveTasks(async (request) => {
  run ??= taskFunction(configFromEnv(process.env));
  if (isWarmUp(request)) return warmUp();
  return run(request);
});

/**
 * A warm-up ping (like provisioned concurrency on AWS): load the configuration, the engine and every
 * job's graph now, so the first batch does not pay for a cold start.
 */
function isWarmUp(request: unknown): boolean {
  return (request as { warmUp?: unknown })?.warmUp === true;
}

function warmUp(): { warm: true } {
  const config = configFromEnv(process.env);
  for (const source of Object.values(config.jobs)) {
    contextFor(typeof source === 'string' ? loadJobModule(source) : source, () => undefined);
  }
  return { warm: true };
}
