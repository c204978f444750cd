import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import {
  FsStore,
  type JobDefinition,
  ManualClock,
  MemoryStore,
  type Pair,
  readManifest,
  type Store,
  StoreSink,
} from '../../src/engine';
import { JobCatalog } from '../../src/engine/catalog';
import { runTask } from '../../src/engine/exec';
import { S3Store } from '../../src/engine/io/s3-store';
import { startEmbedded } from '../../src/engine/runtime';
import { configFromEnv, jobStore, type RuntimeConfig, storeFrom } from '../../src/engine/runtime/config';
import { taskEnvironment } from '../../src/engine/runtime/job-loader';
import { startCoordinator, taskFunction } from '../../src/engine/runtime/lambda';

const ROOT = resolve(__dirname, '../..');
const JOB = resolve(__dirname, 'fixtures/pairs-job.ts');
const ZERO = 10_000;

/** Every key and its bytes under a store, to prove a refused task wrote nothing. */
async function snapshot(store: Store): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await store.list('')) {
    out.set(entry.key, Buffer.from((await store.get(entry.key)) ?? []).toString('base64'));
  }
  return out;
}

/** The error a promise rejects with (undefined if it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<Error | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('task payloads are checked against the job stored identity', () => {
  const root = new MemoryStore();
  const config: RuntimeConfig = { jobs: { pairs: JOB }, store: root, taskParallelism: 1 };
  let sinkNode: string;

  beforeAll(async () => {
    // The pairs job ran four batches with its clock starting at ZERO: its stored zero time is ZERO.
    const job = startEmbedded({
      jobModule: JOB,
      runtime: 'memory',
      store: root,
      clock: new ManualClock(ZERO, { autoAdvance: true }),
      batches: 4,
    });
    await job.done;
    const manifest = await readManifest(jobStore(root, 'pairs'), ZERO + 2000);
    sinkNode = manifest!.outputs[0].node;
  });

  const spec = (overrides: Record<string, unknown> = {}) => ({
    v: 1,
    job: 'pairs',
    zeroTime: ZERO,
    batchTime: ZERO + 2000,
    kind: 'sink',
    node: sinkNode,
    output: 0,
    partition: 0,
    attempt: 0,
    ...overrides,
  });

  it('refuses a task whose zeroTime is not the stored one, naming the field and both values, and writes nothing', async () => {
    const before = await snapshot(root);
    const error = await failureOf(taskFunction(config)(spec({ zeroTime: 0, batchTime: 2000 })));
    expect(error?.name).toBe('InvalidTaskSpecError');
    expect(error?.message).toMatch(
      new RegExp(`field 'zeroTime' is 0 but the job's stored zero time is ${ZERO}`),
    );
    expect((error as { context?: unknown }).context).toMatchObject({
      field: 'zeroTime',
      value: 0,
      expected: ZERO,
    });
    expect(await snapshot(root)).toEqual(before);
  });

  it.each([
    ['off the batch grid', ZERO + 2500],
    ['at the zero time itself', ZERO],
    ['before the zero time', ZERO - 1000],
  ])('refuses a task whose batchTime is %s', async (_what, batchTime) => {
    const before = await snapshot(root);
    const error = await failureOf(taskFunction(config)(spec({ batchTime })));
    expect(error?.name).toBe('InvalidTaskSpecError');
    expect(error?.message).toMatch(
      new RegExp(
        `field 'batchTime' is ${batchTime} but .*zero time ${ZERO}, batch interval 1000 ms, first batch ${ZERO + 1000}`,
      ),
    );
    expect(await snapshot(root)).toEqual(before);
  });

  it('still reports a malformed payload by its field before looking at the job', async () => {
    await expect(taskFunction(config)(spec({ partition: 'x' }))).rejects.toThrow(/field 'partition'/);
  });

  it('runs a task whose times fit the stored identity', async () => {
    const error = await failureOf(taskFunction(config)(spec()));
    expect(error?.name).not.toBe('InvalidTaskSpecError');
  });

  it('refuses tasks for a job that was never started (no stored identity)', async () => {
    const fresh: RuntimeConfig = { ...config, store: new MemoryStore() };
    const error = await failureOf(taskFunction(fresh)(spec()));
    expect(error?.name).toBe('InvalidTaskSpecError');
    expect(error?.message).toMatch(/job 'pairs'.*no stored identity.*tasks run only for a started job/);
  });

  it('reads the identity once per warm function, and again once when a task disagrees with it', async () => {
    const inner = new MemoryStore();
    for (const [key, body] of await snapshot(root)) await inner.put(key, Buffer.from(body, 'base64'));
    let identityReads = 0;
    const counting = Object.assign(Object.create(inner), {
      getVersioned(key: string) {
        if (key.endsWith('job.json')) identityReads++;
        return inner.getVersioned(key);
      },
    }) as Store;
    const run = taskFunction({ ...config, store: counting });
    await failureOf(run(spec()));
    await failureOf(run(spec({ partition: 1 })));
    expect(identityReads).toBe(1);

    // The job is created anew (its store cleared, started again later): a task of the new clock runs.
    const scoped = jobStore(inner, 'pairs');
    const state = await new JobCatalog(scoped).readJob();
    await scoped.put('job.json', new TextEncoder().encode(JSON.stringify({ ...state, zeroTime: 50_000 })));
    const renewed = await failureOf(run(spec({ zeroTime: 50_000, batchTime: 53_000 })));
    expect(renewed?.name).not.toBe('InvalidTaskSpecError');
    expect(identityReads).toBe(2);

    const forged = await failureOf(run(spec({ zeroTime: 7000, batchTime: 9000 })));
    expect(forged?.message).toMatch(/field 'zeroTime' is 7000 but the job's stored zero time is 50000/);
    expect(identityReads).toBe(3);
  });

  it('checks the zero time on the worker-thread path too (taskEnvironment with runTask)', async () => {
    const environment = taskEnvironment(jobStore(root, 'pairs'), { pairs: JOB });
    await expect(environment.graphFor('pairs', 0)).rejects.toThrow(
      new RegExp(`field 'zeroTime' is 0 but the job's stored zero time is ${ZERO}`),
    );
    const error = await failureOf(runTask(spec({ zeroTime: 3000, batchTime: 4000 }), environment));
    expect(error?.name).toBe('InvalidTaskSpecError');
  });
});

describe('SLUICE_STORE must be an S3 location or an explicit directory path', () => {
  const jobs = JSON.stringify({ pairs: JOB });

  it.each([
    's3:/typo',
    's3//x',
    'bucket/prefix',
    'file:relative',
    'data',
    's3://',
    's3:///prefix',
    's3://Not_A_Bucket/x',
    's3://bucket//double',
    'http://example.com/x',
  ])('refuses %s naming the variable, the value and the accepted forms', (value) => {
    const escaped = value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    expect(() => configFromEnv({ SLUICE_STORE: value, SLUICE_JOBS: jobs })).toThrow(
      new RegExp(
        `SLUICE_STORE '${escaped}' .*; use s3://bucket/prefix/ \\(S3\\), an absolute directory path .*'\\./'-relative`,
      ),
    );
  });

  it.each([
    ['s3://my-bucket/some/prefix', 'my-bucket', 'some/prefix/'],
    ['s3://my-bucket/some/prefix/', 'my-bucket', 'some/prefix/'],
    ['s3://my.bucket', 'my.bucket', ''],
  ])('takes %s as an S3 store', (value, bucket, prefix) => {
    const store = storeFrom(value);
    expect(store).toBeInstanceOf(S3Store);
    expect(store).toMatchObject({ bucket, prefix });
  });

  it.each([
    ['/var/lib/sluice', '/var/lib/sluice'],
    ['./data', resolve('data')],
    ['../data', resolve('../data')],
    ['file:///srv/sluice', '/srv/sluice'],
  ])('takes %s as a directory', (value, root) => {
    const store = storeFrom(value);
    expect(store).toBeInstanceOf(FsStore);
    expect((store as FsStore).root).toBe(root);
  });
});

describe('job names are looked up as own entries of the configured jobs', () => {
  const config: RuntimeConfig = { jobs: { pairs: JOB }, store: new MemoryStore(), taskParallelism: 1 };

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    "calls '%s' an unknown job, naming the configured ones",
    async (name) => {
      const message = new RegExp(`unknown job '${name}': configured jobs are pairs$`);
      await expect(startCoordinator(config, { job: name })).rejects.toThrow(message);
      const task = {
        v: 1,
        job: name,
        zeroTime: 0,
        batchTime: 1000,
        kind: 'result',
        node: 'n',
        partition: 0,
        attempt: 0,
      };
      await expect(taskFunction(config)(task)).rejects.toThrow(message);
      await expect(taskEnvironment(new MemoryStore(), config.jobs).graphFor(name, 0)).rejects.toThrow(
        message,
      );
    },
  );
});

describe('the Lambda bundle leaves the local emulators out', () => {
  it('declares kinesalite and s3rver as development dependencies only', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8'));
    for (const name of ['kinesalite', 's3rver']) {
      expect(pkg.dependencies?.[name]).toBeUndefined();
      expect(pkg.devDependencies?.[name]).toBeDefined();
    }
  });

  it.each(['functions/task/handler.ts', 'functions/coordinator/handler.ts'])(
    '%s reaches no emulator module',
    async (entry) => {
      const result = await build({
        entryPoints: [resolve(ROOT, entry)],
        bundle: true,
        platform: 'node',
        target: 'node20',
        write: false,
        metafile: true,
        logLevel: 'silent',
        external: ['msgpackr-extract'],
        absWorkingDir: ROOT,
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.some((p) => p.startsWith('src/engine/runtime/'))).toBe(true);
      expect(
        inputs.filter((p) =>
          /node_modules\/(kinesalite|s3rver)\/|runtime\/(emulators|local-aws|s3-conditional-proxy)\.ts$/.test(
            p,
          ),
        ),
      ).toEqual([]);
    },
  );
});

describe('a job whose partition counts changed', () => {
  const sink = new StoreSink<Pair<string, number>>('totals');
  const counting = (partitions: number): JobDefinition => ({
    name: 'resized',
    batchInterval: '1s',
    partitions,
    build(ssc) {
      ssc
        .queueStream([['a', 'b'], ['a'], ['c'], ['a']])
        .map((w): Pair<string, number> => [w, 1])
        .updateStateByKey<string, number, number>((values, total) => (total ?? 0) + values.length)
        .writeTo(sink);
    },
  });

  it('fails at start with the catalog message instead of misreading state stored by partition', async () => {
    const root = new MemoryStore();
    const clock = new ManualClock(0, { autoAdvance: true });
    let ran = 0;
    let reached!: () => void;
    const twoBatches = new Promise<void>((res) => {
      reached = res;
    });
    const first = await startCoordinator(
      { jobs: { resized: counting(3) }, store: root, taskParallelism: 1 },
      { job: 'resized', clock, onBatch: () => ++ran === 2 && reached() },
    );
    await twoBatches;
    await first.stop();
    expect(await sink.committedBatches(jobStore(root, 'resized'))).toEqual(
      expect.arrayContaining([1000, 2000]),
    );

    const error = await failureOf(
      startCoordinator(
        { jobs: { resized: counting(4) }, store: root, taskParallelism: 1 },
        { job: 'resized', clock },
      ),
    );
    expect(error?.name).toBe('JobMismatchError');
    expect(error?.message).toMatch(/job 'resized' changed partition counts \(.*3 -> 4.*\)/);
    expect(error?.message).not.toMatch(/invalid byte range/);
  });
});
