/**
 * What a coordinator on Lambda tells CloudWatch: structured JSON log lines (Powertools logger) keyed by
 * job, batch time, stage, task and attempt, and per-batch metrics in embedded metric format (Powertools
 * metrics) that alarms and dashboards can use without any API call. Both are a listener on the bus.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { awsRequests } from '../io/metering/request-counts';
import type { StreamingListener } from '../schedule';
import { summarize } from '../schedule/batch-summary';

/** Metric names, as the CloudWatch alarms and docs name them. */
export const METRICS = {
  records: 'Records',
  processingTime: 'ProcessingTime',
  schedulingDelay: 'SchedulingDelay',
  totalDelay: 'TotalDelay',
  sourceLag: 'SourceLag',
  taskRetries: 'TaskRetries',
  speculativeTasks: 'SpeculativeTasks',
  recoveredPartitions: 'RecoveredPartitions',
  deadLetters: 'DeadLetters',
  awsRequests: 'AwsRequests',
  batchFailures: 'BatchFailures',
} as const;

/** The coordinator function's logger and metrics (namespace `sluice`, service `sluice-coordinator`). */
export function coordinatorTelemetry(): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: 'sluice-coordinator' }),
    metrics: new Metrics({ namespace: 'sluice', serviceName: 'sluice-coordinator' }),
  };
}

/** The task function's logger (service `sluice-task`). */
export function taskLogger(): Logger {
  return new Logger({ serviceName: 'sluice-task' });
}

/** The keys every log line of a task carries, read from its (not yet validated) event. */
export function taskLogKeys(event: unknown): Record<string, string | number> {
  const spec = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const keys: Record<string, string | number> = {};
  const fields: [string, string][] = [
    ['job', 'job'],
    ['batchTime', 'batchTime'],
    ['node', 'stage'],
    ['partition', 'task'],
    ['attempt', 'attempt'],
  ];
  for (const [field, key] of fields) {
    const value = spec[field];
    if (typeof value === 'string' || typeof value === 'number') keys[key] = value;
  }
  return keys;
}

export function telemetryListener(logger: Logger, metrics: Metrics): StreamingListener {
  return {
    onStreamingStarted: (e) =>
      logger.info('coordinator started', {
        owner: e.owner,
        epoch: e.epoch,
        batchMs: e.batchMs,
        nextBatchTime: e.nextBatchTime,
      }),
    onBatchCompleted: ({ info, manifest }) => {
      const batch = summarize(manifest);
      const totalDelayMs = info.schedulingDelayMs + info.processingMs;
      logger.info('batch committed', {
        batchTime: info.batchTime,
        records: info.records,
        processingMs: info.processingMs,
        schedulingDelayMs: info.schedulingDelayMs,
        totalDelayMs,
        lagMs: info.lagMs,
        tasks: info.tasks,
        retries: batch.retries,
        speculated: batch.speculated,
        recovered: batch.recoveredPartitions,
        deadLetters: info.deadLetters,
        requests: info.requests,
      });
      // One EMF object per batch, stamped with the batch's own time, so late flushes chart correctly.
      metrics.setTimestamp(info.batchTime);
      metrics.addMetric(METRICS.records, MetricUnit.Count, info.records);
      metrics.addMetric(METRICS.processingTime, MetricUnit.Milliseconds, info.processingMs);
      metrics.addMetric(METRICS.schedulingDelay, MetricUnit.Milliseconds, info.schedulingDelayMs);
      metrics.addMetric(METRICS.totalDelay, MetricUnit.Milliseconds, totalDelayMs);
      if (info.lagMs !== undefined) metrics.addMetric(METRICS.sourceLag, MetricUnit.Milliseconds, info.lagMs);
      metrics.addMetric(METRICS.taskRetries, MetricUnit.Count, batch.retries);
      metrics.addMetric(METRICS.speculativeTasks, MetricUnit.Count, batch.speculated);
      metrics.addMetric(METRICS.recoveredPartitions, MetricUnit.Count, batch.recoveredPartitions);
      metrics.addMetric(METRICS.deadLetters, MetricUnit.Count, info.deadLetters);
      metrics.addMetric(METRICS.awsRequests, MetricUnit.Count, awsRequests(info.requests));
      metrics.publishStoredMetrics();
    },
    onBatchFailed: (e) => {
      const fields = {
        batchTime: e.batchTime,
        operator: e.operator,
        attempt: e.attempt,
        retryInMs: e.retryInMs,
      };
      if (e.retryInMs === undefined) logger.error('batch failed', { ...fields, error: e.error });
      else logger.warn('batch failed; retrying', { ...fields, error: e.error });
      metrics.setTimestamp(e.batchTime);
      metrics.addMetric(METRICS.batchFailures, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    },
    onTaskFailed: (e) =>
      logger.warn('task failed', {
        batchTime: e.batchTime,
        stage: e.stage,
        operator: e.operator,
        task: e.partition,
        attempt: e.attempt,
        willRetry: e.willRetry,
        error: e.error,
      }),
    onSpeculativeTaskLaunched: (e) =>
      logger.info('speculative task launched', {
        batchTime: e.batchTime,
        stage: e.stage,
        operator: e.operator,
        task: e.partition,
      }),
    onCoordinatorNotice: (e) =>
      logger.info(e.message, e.batchTime === undefined ? {} : { batchTime: e.batchTime }),
    onStreamingStopped: (e) =>
      e.error
        ? logger.error('coordinator stopped', { reason: e.reason, error: e.error })
        : logger.info('coordinator stopped', { reason: e.reason }),
  };
}
