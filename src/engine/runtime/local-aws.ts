/**
 * The embedded local AWS: kinesalite, s3rver and a local Lambda Invoke endpoint on loopback, with the
 * coordinator and task code going through the same SDK adapters as on AWS. Not part of the Lambda bundle.
 */
import { resolve } from 'node:path';
import { contextFor } from '../api/job';
import type { TaskResult, TaskSpec } from '../exec';
import { InputDStream } from '../graph';
import { kinesisClient } from '../io/aws-clients';
import { ensureStream, type Producer } from '../io/kinesis-admin';
import { KinesisSource } from '../io/kinesis-source';
import { startLocalLambda } from '../io/local-lambda';
import { MemoryStore } from '../io/memory-store';
import type { Clock } from '../io/ports';
import { WorkerPoolInvoker } from '../io/worker-pool';
import type { BatchInfo } from '../schedule';
import { configFromEnv } from './config';
import type { Emulator } from './emulator';
import { startKinesalite, startRestartableProxy, startS3rver } from './emulators';
import { RuntimeError } from './errors';
import { loadJobModule } from './job-loader';
import { type CoordinatorStartOptions, type RunningCoordinator, startCoordinator } from './lambda';
import { startLocalProducer } from './local-producer';

export const LOCAL_BUCKET = 'sluice-local-data';
export const LOCAL_TASK_FUNCTION = 'sluice-local-task';

export interface LocalAwsOptions {
  jobModule: string;
  /** Task function instances (worker threads). */
  workers?: number;
  /** Shards of each Kinesis stream the job reads. */
  shards?: number;
  /**
   * Synthetic events put into the job's first Kinesis stream from a thread of their own: record `i` is
   * `generator.module`'s export `generator.name` applied to `i`; packed like the KPL's unless
   * `aggregate` is false. Off when absent.
   */
  producer?: { ratePerSecond: number; generator: { module: string; name: string }; aggregate?: boolean };
  clock?: Clock;
  onBatch?: (info: BatchInfo) => void;
  log?: (line: string) => void;
  /**
   * Batches of at most this many records run in the coordinator, without task invocations
   * (SLUICE_SMALL_BATCH_RECORDS; serverless.yml deploys 2,000). Default 0: every batch fans out.
   */
  smallBatchRecords?: number;
  /** Put restartable proxies in front of S3 and Kinesis (chaos runs restart them). */
  restartable?: boolean;
  /** Start the coordinator at once (default); chaos runs start and restart it themselves. */
  coordinator?: boolean;
}

export interface LocalAws {
  /** Environment the functions see (endpoints, store, task function). */
  env: Record<string, string>;
  streams: string[];
  /** The coordinator started with the emulators (undefined with `coordinator: false`). */
  coordinator?: RunningCoordinator;
  /** Starts (another) coordinator for the job on these emulators. */
  startCoordinator(options?: Omit<CoordinatorStartOptions, 'job'>): Promise<RunningCoordinator>;
  /** With `restartable`: restart S3 or Kinesis (connections dropped, refused for `downMs`). */
  restart?: { s3(downMs: number): Promise<void>; kinesis(downMs: number): Promise<void> };
  producer?: Producer;
  /** Stops the producer, the coordinator (after its batch), the functions and the emulators. */
  stop(): Promise<void>;
}

/**
 * The environment another process needs to reach these emulators (`sluice status`, `sluice query`), as
 * a shell prefix: endpoints, region and the credentials s3rver accepts.
 */
export function localAwsShellEnv(env: Record<string, string>): string {
  const names = [
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL_KINESIS',
  ];
  return names.map((name) => `${name}=${env[name]}`).join(' ');
}

export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const jobModule = resolve(options.jobModule);
  const parts = new ShutdownOrder();
  try {
    const kinesisServer: Emulator = await startKinesalite();
    parts.add('emulators', kinesisServer);
    const s3Server: Emulator = await startS3rver([LOCAL_BUCKET]);
    parts.add('emulators', s3Server);
    const kinesisProxy = options.restartable
      ? await startRestartableProxy(kinesisServer.endpoint)
      : undefined;
    if (kinesisProxy) parts.add('proxies', kinesisProxy);
    const s3Proxy = options.restartable ? await startRestartableProxy(s3Server.endpoint) : undefined;
    if (s3Proxy) parts.add('proxies', s3Proxy);
    const kinesis = kinesisProxy ?? kinesisServer;
    const s3 = s3Proxy ?? s3Server;
    const env: Record<string, string> = {
      AWS_REGION: 'us-east-1',
      // s3rver accepts only these; kinesalite accepts anything.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      SLUICE_STORE: `s3://${LOCAL_BUCKET}/sluice/`,
      // kinesalite makes a record readable as soon as its put returns: no propagation margin.
      SLUICE_KINESIS_SETTLE_MS: '0',
      SLUICE_JOBS: JSON.stringify({ [loadJobModule(jobModule).name]: jobModule }),
      SLUICE_SMALL_BATCH_RECORDS: String(options.smallBatchRecords ?? 0),
    };
    // Job code builds its Kinesis clients from the environment, here and in every task worker.
    Object.assign(process.env, env);

    const streams = kinesisStreamsOf(jobModule);
    const admin = kinesisClient({ endpoint: kinesis.endpoint });
    parts.add('clients', { stop: async () => admin.destroy() });
    for (const stream of streams) await ensureStream(admin, stream, options.shards ?? 2);

    // Its thread boots while the function instances warm up.
    const producer =
      options.producer && streams.length > 0
        ? startLocalProducer({
            ...options.producer,
            endpoint: kinesis.endpoint,
            streamName: streams[0],
            env,
            // A producer that stops says so at once, wherever this run logs.
            log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
          })
        : undefined;
    if (producer) parts.add('producer', producer);

    const pool = new WorkerPoolInvoker<TaskSpec, TaskResult>({
      script: resolve(
        __dirname,
        __filename.endsWith('.ts') ? 'lambda-worker-main.ts' : 'lambda-worker-main.js',
      ),
      workers: options.workers ?? 2,
      // Function instances use S3 themselves; this store only backs the pool's unused RPC channel.
      store: new MemoryStore(),
      workerData: { env },
    });
    parts.add('functions', { stop: () => pool.close() });
    // Load the engine and the job in every function instance before the first batch.
    await Promise.all(
      Array.from({ length: options.workers ?? 2 }, () => pool.invoke({ warmUp: true } as never)),
    );
    const lambda = await startLocalLambda({
      functions: { [LOCAL_TASK_FUNCTION]: (event) => pool.invoke(event as TaskSpec) },
    });
    // The Invoke endpoint closes before the instances behind it.
    parts.add('endpoint', { stop: () => lambda.close() });
    env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
    env.SLUICE_TASK_FUNCTION = LOCAL_TASK_FUNCTION;
    Object.assign(process.env, env);

    const config = configFromEnv(env);
    const job = Object.keys(config.jobs)[0];
    const start = async (extra: Omit<CoordinatorStartOptions, 'job'> = {}) => {
      if (parts.stopping) {
        throw new RuntimeError('the local AWS is stopping; no coordinator can start on it', { job });
      }
      const running = await startCoordinator(config, {
        job,
        clock: options.clock,
        onBatch: options.onBatch,
        log: options.log,
        ...extra,
      });
      parts.add('coordinators', running);
      return running;
    };
    const coordinator = options.coordinator === false ? undefined : await start();
    const restart =
      kinesisProxy && s3Proxy
        ? { s3: (ms: number) => s3Proxy.restart(ms), kinesis: (ms: number) => kinesisProxy.restart(ms) }
        : undefined;
    return {
      env,
      streams,
      coordinator,
      producer,
      startCoordinator: start,
      restart,
      stop: () => parts.stop(),
    };
  } catch (error) {
    await parts.stop();
    throw error;
  }
}

/** The groups of the local AWS, in the order they stop: nothing stops before what still calls it. */
const STOP_ORDER = [
  // No new records.
  'producer',
  // Each coordinator finishes its batch (and gives up its lease) while S3, Kinesis and the tasks still run.
  'coordinators',
  // Then the task functions: the Invoke endpoint, then the instances behind it.
  'endpoint',
  'functions',
  'clients',
  // The emulators last, proxies before what they front.
  'proxies',
  'emulators',
] as const;

type StopGroup = (typeof STOP_ORDER)[number];

/**
 * Stops the parts of the local AWS group by group in STOP_ORDER (within a group, the latest started
 * first), once: a second stop() (a timer and a finished coordinator, Ctrl-C twice) waits for the first
 * instead of running its own, interleaved shutdown.
 */
class ShutdownOrder {
  private readonly groups = new Map<StopGroup, { stop(): Promise<void> }[]>();
  private stopped?: Promise<void>;

  get stopping(): boolean {
    return this.stopped !== undefined;
  }

  add(group: StopGroup, part: { stop(): Promise<void> }): void {
    const list = this.groups.get(group) ?? [];
    list.push(part);
    this.groups.set(group, list);
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      for (const group of STOP_ORDER) {
        for (const part of [...(this.groups.get(group) ?? [])].reverse()) {
          // One part failing to stop cleanly must not leave the ones after it running.
          await part.stop().catch(() => undefined);
        }
      }
    })();
    return this.stopped;
  }
}

/** The Kinesis streams a job reads, found by building its graph (no I/O happens while building). */
export function kinesisStreamsOf(jobModule: string): string[] {
  const context = contextFor(loadJobModule(jobModule), () => undefined);
  return context.graph.streams
    .filter((s): s is InputDStream<unknown> => s instanceof InputDStream && s.source instanceof KinesisSource)
    .map((s) => (s.source as KinesisSource<unknown>).streamName);
}
