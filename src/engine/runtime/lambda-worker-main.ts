/**
 * A task "function instance" of the embedded local AWS: a worker thread that runs the task Lambda's body
 * with its own AWS clients, configured from the environment exactly like the deployed function.
 */
import { serveTasks } from '../io/worker-host';
import { configFromEnv } from './config';
import { taskFunction } from './lambda';

let run: ReturnType<typeof taskFunction> | undefined;

serveTasks((request) => {
  run ??= taskFunction(configFromEnv(process.env));
  return run(request);
});
