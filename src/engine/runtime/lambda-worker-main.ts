/**
 * A task "function instance" of the embedded local AWS: a worker thread that runs the task Lambda's body
 * with its own AWS clients, configured from the environment exactly like the deployed function.
 */
import { workerData } from 'node:worker_threads';
import { serveTasks } from '../io/worker-host';
import { configFromEnv } from './config';
import { taskFunction } from './lambda';

// The function's configuration, as Lambda would set it in the instance's environment.
Object.assign(process.env, (workerData as { env?: Record<string, string> } | undefined)?.env ?? {});

let run: ReturnType<typeof taskFunction> | undefined;

serveTasks((request) => {
  run ??= taskFunction(configFromEnv(process.env));
  return run(request);
});
