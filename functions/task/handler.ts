/**
 * Task Lambda: runs exactly one task description and returns its result. A failed task is logged as a
 * JSON line (Powertools logger) keyed by job, batch time, stage, task and attempt, then rethrown so the
 * coordinator retries it; successes are logged only at debug level (a line per task would cost more in
 * CloudWatch Logs than the task itself).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { configFromEnv, taskFunction } from '../../src/engine/runtime';
import { taskLogger, taskLogKeys } from '../../src/engine/runtime/lambda-telemetry';
import { jobs } from '../jobs';

const logger = taskLogger();
let run: ReturnType<typeof taskFunction> | undefined;

export const handler = middy(async (event: unknown) => {
  logger.appendKeys(taskLogKeys(event));
  try {
    // Configuration is read on first use so that a bad environment fails the invocation with its message.
    run ??= taskFunction(configFromEnv(process.env, jobs));
    const result = await run(event);
    logger.debug('task done');
    return result;
  } catch (error) {
    logger.error('task failed', { error: error as Error });
    throw error;
  }
}).use(injectLambdaContext(logger, { resetKeys: true }));
