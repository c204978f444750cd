import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { handler as coordinatorHandler } from '../../functions/coordinator/handler';
import { handler as taskHandler } from '../../functions/task/handler';
import { FsStore, readManifest, SystemClock } from '../../src/engine';
import { JobCatalog, Lease } from '../../src/engine/catalog';
import { jobStore } from '../../src/engine/runtime/config';
import { sink } from '../runtime/fixtures/fast-job';

const FAST_JOB = resolve(__dirname, '../runtime/fixtures/fast-job.ts');
const FAILING_JOB = resolve(__dirname, '../runtime/fixtures/failing-job.ts');

function lambdaContext(remainingMs: () => number): Context {
  return { getRemainingTimeInMillis: remainingMs } as unknown as Context;
}

describe('Lambda handlers', () => {
  let dir: string;
  const savedEnv = { ...process.env };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-handlers-'));
    process.env.SLUICE_JOBS = JSON.stringify({ fast: FAST_JOB });
    process.env.SLUICE_STORE = dir;
  });

  afterEach(async () => {
    process.env = { ...savedEnv };
    await rm(dir, { recursive: true, force: true });
  });

  it('task handler rejects a malformed task description naming the field', async () => {
    const event = {
      v: 1,
      job: 'fast',
      zeroTime: 0,
      batchTime: 100,
      kind: 'result',
      node: 's1.0@100',
      partition: 'x',
      attempt: 0,
    };
    await expect(
      taskHandler(
        event,
        lambdaContext(() => 1000),
      ),
    ).rejects.toThrow(/field 'partition'/);
  });

  it('task handler logs a failed task as one JSON line with job, batch time, stage, task and attempt', async () => {
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
      return true;
    };
    // Errors go to stderr, the rest to stdout; CloudWatch takes both.
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    const event = {
      v: 1,
      job: 'fast',
      zeroTime: 0,
      batchTime: 100,
      kind: 'result',
      node: 's1.0@100',
      partition: 'x',
      attempt: 2,
    };
    try {
      await expect(
        taskHandler(
          event,
          lambdaContext(() => 1000),
        ),
      ).rejects.toThrow(/field 'partition'/);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const failed = lines.map((line) => JSON.parse(line)).find((entry) => entry.message === 'task failed');
    expect(failed).toMatchObject({
      level: 'ERROR',
      service: 'sluice-task',
      job: 'fast',
      batchTime: 100,
      stage: 's1.0@100',
      attempt: 2,
    });
    expect(failed.error.message).toMatch(/field 'partition'/);
  });

  it('coordinator handler rejects an event without a job', async () => {
    await expect(
      coordinatorHandler(
        {},
        lambdaContext(() => 60_000),
      ),
    ).rejects.toThrow(/field 'job'/);
  });

  it('coordinator handler fails with a clear message when the store is not configured', async () => {
    delete process.env.SLUICE_STORE;
    await expect(
      coordinatorHandler(
        { job: 'fast' },
        lambdaContext(() => 60_000),
      ),
    ).rejects.toThrow(/SLUICE_STORE is required: s3:\/\/bucket\/prefix\//);
  });

  it('coordinator handler rejects an event with fields it does not know, naming them', async () => {
    await expect(
      coordinatorHandler(
        { job: 'fast', successor: 'x' },
        lambdaContext(() => 60_000),
      ),
    ).rejects.toThrow(
      /field 'successor' not expected \(a coordinator event is \{ job, watchdog\?, successorOf\?, owner\? \}\)/,
    );
    await expect(
      coordinatorHandler(
        { job: 'fast', successorOf: 'old' },
        lambdaContext(() => 60_000),
      ),
    ).rejects.toThrow(/field 'owner' is required with successorOf/);
  });

  it('throws from the handler when the run fails, with the lease released so the retry can start at once', async () => {
    process.env.SLUICE_JOBS = JSON.stringify({ failing: FAILING_JOB });
    await expect(
      coordinatorHandler(
        { job: 'failing', watchdog: true },
        lambdaContext(() => 60_000),
      ),
    ).rejects.toThrow(/the output is broken/);

    const catalog = new JobCatalog(jobStore(new FsStore({ root: dir }), 'failing'));
    expect((await catalog.readLease())?.value).toMatchObject({ released: true });
    // Lambda's retry (or the next watchdog run) takes the lease at once, long before it would expire.
    await expect(Lease.acquire(catalog, new SystemClock(), 'retry', 1000)).resolves.toBeDefined();
  });

  it('coordinator handler names the configured jobs when asked for an unknown one', async () => {
    await expect(
      coordinatorHandler(
        { job: 'nope' },
        lambdaContext(() => 60_000),
      ),
    ).rejects.toThrow(/unknown job 'nope': configured jobs are .*fast/);
  });

  it('coordinator handler resumes after the last committed batch on its next invocation', async () => {
    const margin = 2 * 100 + 5000;
    const invoke = async () => {
      const deadline = Date.now() + margin + 350;
      return coordinatorHandler(
        { job: 'fast' },
        lambdaContext(() => deadline - Date.now()),
      );
    };
    const first = await invoke();
    const second = await invoke();
    expect(first.batches).toBeGreaterThan(0);
    expect(second.batches).toBeGreaterThan(0);
    expect(second.lastBatchTime).toBeGreaterThan(first.lastBatchTime!);

    const store = jobStore(new FsStore({ root: dir }), 'fast');
    const committed = await sink.committedBatches(store);
    // Every batch committed exactly once, in order, with no gap between the two invocations.
    const zero = JSON.parse(new TextDecoder().decode((await store.get('job.json'))!)).zeroTime;
    expect(committed).toEqual(committed.map((_, i) => zero + 100 * (i + 1)));
    const manifest = await readManifest(store, committed[committed.length - 1]);
    expect(manifest?.status).toBe('committed');
    const rows = (await Promise.all(committed.map((t) => sink.readBatch(store, t)))).flat();
    expect(rows).toEqual(rows.map((_, i) => i * 2));
  });

  it('coordinator handler logs JSON lines with job and batch time and publishes each batch as EMF metrics', async () => {
    const lines: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
      return true;
    });
    let summary: Awaited<ReturnType<typeof coordinatorHandler>>;
    try {
      const deadline = Date.now() + 2 * 100 + 5000 + 350;
      summary = await coordinatorHandler({ job: 'fast' }, {
        ...lambdaContext(() => deadline - Date.now()),
        functionName: '',
        awsRequestId: 'req-1',
      } as Context);
    } finally {
      stdout.mockRestore();
    }
    const json = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const committed = json.filter((entry) => entry.message === 'batch committed');
    expect(committed.length).toBe(summary.batches);
    expect(committed[0]).toMatchObject({ level: 'INFO', service: 'sluice-coordinator', job: 'fast' });
    expect(typeof committed[0].batchTime).toBe('number');
    const emf = json.filter((entry) => entry._aws !== undefined);
    expect(emf.length).toBe(summary.batches);
    const first = emf[0] as {
      _aws: {
        Timestamp: number;
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
      job: string;
      Records: number;
    };
    expect(first._aws.CloudWatchMetrics[0].Namespace).toBe('sluice');
    expect(first._aws.CloudWatchMetrics[0].Dimensions[0]).toContain('job');
    expect(first.job).toBe('fast');
    expect(first._aws.Timestamp).toBe(committed[0].batchTime);
    const names = first._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name);
    expect(names).toEqual(
      expect.arrayContaining([
        'Records',
        'ProcessingTime',
        'SchedulingDelay',
        'TotalDelay',
        'TaskRetries',
        'DeadLetters',
        'AwsRequests',
      ]),
    );
    expect(first.Records).toBe(committed[0].records);
  });
});
