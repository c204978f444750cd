import type { ScalingPoint } from './main';
import { LOST_BATCHES, type RecoveryPoint } from './recovery';

const usd = (x: number) => (x < 0.01 ? x.toExponential(2) : x.toFixed(2));

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The tables of docs/SCALING.md, from the figures of one run. */
export function markdownTables(scaling: ScalingPoint[], recovery: RecoveryPoint[]): string {
  const parts: string[] = [];
  if (scaling.length > 0) {
    parts.push(
      table(
        [
          'shards',
          'records/s',
          'concurrency',
          'tasks/batch',
          'processing ms (min/med/max)',
          'keeps up',
          'coordinator CPU ms/batch (min/med/max)',
          'CPU ms/task',
        ],
        scaling.map((p) => [
          p.shards,
          p.records_per_s,
          p.concurrency,
          p.tasks_per_batch,
          `${p.processing_ms.min} / ${p.processing_ms.median} / ${p.processing_ms.max}`,
          p.keeps_up ? 'yes' : 'no',
          `${p.coordinator_cpu_ms.min} / ${p.coordinator_cpu_ms.median} / ${p.coordinator_cpu_ms.max}`,
          p.coordinator_cpu_ms_per_task,
        ]),
      ),
    );
    const byShards = scaling.filter((p) => p.concurrency === scaling[0].concurrency);
    parts.push(
      table(
        [
          'shards',
          'S3 PUT+LIST',
          'S3 GET+HEAD',
          '503 SlowDown',
          'invocations',
          'billed task s',
          '$/batch S3',
          '$/batch Lambda',
          '$/batch Kinesis',
          '$/month total',
          'of which S3',
        ],
        byShards.map((p) => [
          p.shards,
          p.s3_per_batch.put + p.s3_per_batch.list,
          p.s3_per_batch.get + p.s3_per_batch.head,
          p.s3_per_batch.slowDowns,
          p.lambda_per_batch.invocations,
          (p.lambda_per_batch.billedMs / 1000).toFixed(1),
          usd(p.cost_per_batch_usd.s3),
          usd(p.cost_per_batch_usd.lambdaTasks + p.cost_per_batch_usd.coordinator),
          usd(p.cost_per_batch_usd.kinesis),
          p.cost_per_month_usd.total,
          p.cost_per_month_usd.s3,
        ]),
      ),
    );
  }
  if (recovery.length > 0) parts.push(recoveryTable(recovery));
  return `${parts.join('\n\n')}\n`;
}

const seconds = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : 'never');

/** Recovery time per workers and rate: both failures measured, upstream backup modelled. */
function recoveryTable(recovery: RecoveryPoint[]): string {
  const rows = recovery
    .filter((p) => p.failure === 'node')
    .map((node) => ({
      node,
      coordinator: recovery.find(
        (q) =>
          q.failure === 'coordinator' &&
          q.workers === node.workers &&
          q.recordsPerSecond === node.recordsPerSecond,
      ),
    }));
  const recovered = (p: RecoveryPoint | undefined) =>
    p ? `${p.parallelRecovered ? '' : '> '}${seconds(p.parallelRecoveryMs)}` : '-';
  // The first batch after the failure redoes the lost work; its extra time over a steady batch.
  const redone = (p: RecoveryPoint | undefined) => (p ? seconds(p.firstBatchMs - p.steadyMs) : '-');
  return table(
    [
      'workers',
      'partitions',
      'records/s',
      'load (batch time / interval)',
      'node utilization',
      'recovery s: node lost',
      'coordinator lost',
      'upstream backup (model)',
      'lost work redone s: node lost',
      'coordinator lost',
      'upstream standby (model)',
    ],
    rows.map(({ node, coordinator }) => [
      node.workers,
      node.partitions,
      node.recordsPerSecond,
      node.load.toFixed(2),
      node.nodeUtilization.toFixed(2),
      recovered(node),
      recovered(coordinator),
      seconds(node.upstreamRecoveryMs),
      redone(node),
      redone(coordinator),
      seconds(LOST_BATCHES * node.nodeUtilization * 1000),
    ]),
  );
}
