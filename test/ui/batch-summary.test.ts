import type { BatchManifest, StageManifest } from '../../src/engine/catalog';
import { PRICES } from '../../src/engine/cost';
import { noRequests } from '../../src/engine/io/metering';
import { summarize } from '../../src/engine/ui';

function stage(overrides: Partial<StageManifest>): StageManifest {
  return {
    id: 'shuffle:s1.0@2000~0',
    kind: 'shuffleMap',
    operator: 'reduceByKey',
    node: 's1.0@2000',
    partitions: 4,
    location: 'tasks',
    attempts: 4,
    rows: 10,
    bytes: 100,
    durationMs: 5,
    ...overrides,
  };
}

function manifest(overrides: Partial<BatchManifest>): BatchManifest {
  return {
    version: 1,
    job: 'orders',
    batchTime: 2000,
    zeroTime: 0,
    batchMs: 500,
    status: 'committed',
    inputs: [],
    outputs: [],
    rdds: [],
    stages: [],
    timing: { scheduledAt: 2000, startedAt: 2010, finishedAt: 2050, schedulingDelayMs: 10, processingMs: 40 },
    ...overrides,
  };
}

describe('a batch summary', () => {
  it('counts retries apart from speculative copies, and tasks only where tasks ran', () => {
    const summary = summarize(
      manifest({
        stages: [
          stage({ attempts: 7, speculated: 1 }),
          stage({ id: 'final', kind: 'result', partitions: 2, attempts: 2 }),
          stage({ id: 'driver', kind: 'sink', location: 'coordinator', partitions: 1, attempts: 3 }),
        ],
      }),
    );
    expect(summary).toMatchObject({ stages: 3, tasks: 6, retries: 2, speculated: 1 });
  });

  it('gives the input rate per second of interval, the total delay, and the lag of every shard', () => {
    const summary = summarize(
      manifest({
        inputs: [
          {
            stream: 0,
            name: 'clicks',
            records: 30,
            blocks: [],
            direct: true,
            ranges: [
              { shard: 'a', first: '1', last: '9', count: 20, millisBehindLatest: 900 },
              { shard: 'b', first: '1', last: '5', count: 10, millisBehindLatest: 0 },
              { shard: 'c', first: '', last: '', count: 0 },
            ],
          },
        ],
      }),
    );
    expect(summary).toMatchObject({ records: 30, inputRate: 60, totalDelayMs: 50, lagMs: 900 });
    expect(summary.shardLags).toEqual([
      { input: 'clicks', shard: 'a', millisBehindLatest: 900 },
      { input: 'clicks', shard: 'b', millisBehindLatest: 0 },
    ]);
  });

  it('prices the batch requests and Lambda time at list prices', () => {
    const requests = {
      ...noRequests(),
      s3Put: 1000,
      s3Get: 1000,
      s3Delete: 7,
      lambdaInvokes: 10,
      lambdaMbMs: 1_024_000,
    };
    const summary = summarize(manifest({ requests }));
    expect(summary.requests).toBe(2017);
    expect(summary.costUsd).toBeCloseTo(
      0.005 + 0.0004 + 10 * PRICES.lambda.perRequest + PRICES.lambda.perGbSecondArm,
      12,
    );
  });

  it('leaves out what a running batch does not know yet', () => {
    const summary = summarize(
      manifest({ status: 'running', timing: { scheduledAt: 2000, startedAt: 2000, schedulingDelayMs: 0 } }),
    );
    expect(summary).not.toHaveProperty('processingMs');
    expect(summary).not.toHaveProperty('totalDelayMs');
    expect(summary).not.toHaveProperty('costUsd');
  });
});
