/** Task Lambda: runs exactly one task description and returns its result. */
import middy from '@middy/core';
import { configFromEnv, taskFunction } from '../../src/engine/runtime';
import { jobs } from '../jobs';

let run: ReturnType<typeof taskFunction> | undefined;

export const handler = middy(async (event: unknown) => {
  // Configuration is read on first use so that a bad environment fails the invocation with its message.
  run ??= taskFunction(configFromEnv(process.env, jobs));
  return run(event);
});
