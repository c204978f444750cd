/**
 * Coordinator Lambda: runs one job's batches while it holds the job's lease, then hands over.
 *
 * Event (checked by parseCoordinatorEvent; anything else is rejected, naming the field):
 * - `{ "job": "<name>", "watchdog": true }` — the schedule, every minute: start a coordinator only if
 *   none holds a live lease; otherwise return at once with `status: 'already running'` and the holder.
 * - `{ "job": "<name>", "successorOf": "<owner>", "owner": "<new owner>" }` — sent by the outgoing
 *   coordinator (an asynchronous invoke of this function): wait until the lease is handed to `owner`
 *   (or expires), then run.
 * - `{ "job": "<name>" }` — a manual start; fails with LeaseHeldError while another coordinator runs.
 *
 * Returns a CoordinatorRunSummary: `{ job, status: 'handed over' | 'stopped' | 'already running', owner,
 * batches, lastBatchTime?, successor?, holder? }`.
 * Throws (so Lambda's asynchronous retries, the failure destination and the Errors alarm see it) when
 * the event or configuration is invalid, the batch interval cannot run on Lambda, a batch still fails
 * after its retries, or the successor could not be started. The lease is released or handed over first,
 * so a retry or the next watchdog run can take over at once.
 *
 * Logs are JSON lines (Powertools logger) with the job, batch time, stage, task and attempt; each batch
 * publishes its metrics in embedded metric format (namespace `sluice`, dimension `job`), see
 * runtime/lambda-telemetry.ts.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { configFromEnv, parseCoordinatorEvent, runCoordinator } from '../../src/engine/runtime';
import { lambdaSuccessorStarter } from '../../src/engine/runtime/continuity';
import { coordinatorTelemetry, telemetryListener } from '../../src/engine/runtime/lambda-telemetry';
import { jobs } from '../jobs';

const { logger, metrics } = coordinatorTelemetry();

export const handler = middy(async (event: unknown, context: Context) => {
  const request = parseCoordinatorEvent(event);
  logger.appendKeys({ job: request.job });
  metrics.setDefaultDimensions({ job: request.job });
  const config = configFromEnv(process.env, jobs);
  return runCoordinator(config, {
    ...request,
    remainingMs: () => context.getRemainingTimeInMillis(),
    // The successor is this same function; without a name (a local run) the watchdog restarts instead.
    starter: context.functionName ? lambdaSuccessorStarter(config, context.functionName) : undefined,
    log: (line) => logger.info(line),
    start: { listeners: [telemetryListener(logger, metrics)] },
  });
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
