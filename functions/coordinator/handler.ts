/** Coordinator Lambda: resumes the job, runs batches until shortly before its deadline, and returns. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { configFromEnv, parseCoordinatorEvent, runCoordinator } from '../../src/engine/runtime';
import { jobs } from '../jobs';

export const handler = middy(async (event: unknown, context: Context) => {
  const { job } = parseCoordinatorEvent(event);
  return runCoordinator(configFromEnv(process.env, jobs), {
    job,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
});
