/** Entry point of a task worker thread: runs the same task code a Lambda task invocation runs. */
import { workerData } from 'node:worker_threads';
import { serveTasks } from '../io/worker-host';
import { taskEnvironment } from './job-loader';

const { jobs } = workerData as { jobs: Record<string, string> };
let environment: ReturnType<typeof taskEnvironment> | undefined;

serveTasks((request, store) => {
  environment ??= taskEnvironment(store, jobs);
  // The same checks as a Lambda task: the payload's job, zero time and batch time must fit the job.
  return environment.run(request);
});
