import { runTask, type TaskResult, type TaskSpec } from '../exec';
import {
  DStreamGraph,
  InputDStream,
  InvalidGraphError,
  type RecordErrorOption,
  recordErrorPolicy,
} from '../graph';
import { kinesisClient } from '../io/aws-clients';
import { SystemClock } from '../io/clock';
import { type GeneratorOptions, GeneratorSource } from '../io/generator-source';
import { InProcessInvoker } from '../io/in-process-invoker';
import { KinesisSource, type KinesisSourceOptions } from '../io/kinesis-source';
import { MemoryStore } from '../io/memory-store';
import type { Clock, Invoker, Source, Store } from '../io/ports';
import { QueueSource } from '../io/queue-source';
import { checkPartitions } from '../plan';
import {
  type BatchInfo,
  Coordinator,
  type ExchangePolicy,
  type RetryPolicy,
  type SpeculationPolicy,
  type StreamingListener,
} from '../schedule';
import { type Duration, toMillis } from '../util/duration';
import { type Dataset, type DatasetOptions, DatasetRegistry } from './dataset';
import { DStream } from './dstream';
import { type FileStreamOptions, fileStream } from './file-streams';

export interface StreamingContextOptions {
  /** Length of each batch, e.g. `'1s'` or `500`. */
  batchInterval: Duration;
  /** Partitions for input blocks and shuffles unless an operation says otherwise (default 4). */
  partitions?: number;
  /** Names the job in the store and in task descriptions (default `'job'`). */
  name?: string;
  /** Where print() writes (default: stdout). */
  log?: (line: string) => void;
  /**
   * When user code (map, filter, flatMap, a map-side reducer ...) throws on input records: `'dead-letter'`
   * (default) isolates those records, writes them to `deadletters/<time>/poison/` and completes the batch
   * without them; `'fail'` fails the batch with an error naming the first such record's position.
   */
  onRecordError?: RecordErrorOption;
}

export type KinesisStreamOptions<T> = Omit<KinesisSourceOptions<T>, 'client' | 'sleep'> &
  InputOptions & { client?: KinesisSourceOptions<T>['client'] };

export interface InputOptions {
  partitions?: number;
  name?: string;
}

export interface StartOptions {
  store?: Store;
  clock?: Clock;
  /** Where tasks run; default: in this process, `workers` at a time. */
  invoker?: Invoker<TaskSpec, TaskResult>;
  workers?: number;
  retry?: Partial<RetryPolicy>;
  speculation?: Partial<SpeculationPolicy>;
  /** Names this coordinator in the job's lease (default: a random id). */
  owner?: string;
  /** How long the lease lasts without renewal (default: three batch intervals plus 30 s). */
  leaseTtlMs?: number;
  /** A batch that failed for a reason that may pass is retried in place this many times (default 3). */
  batchRetries?: number;
  /** First wait between batch retries (default 1 s, doubling, at most 30 s). */
  batchRetryBackoffMs?: number;
  /** Time (on the clock) by which this coordinator must be done, e.g. a Lambda invocation's end: no batch retry is started that could not finish by then. */
  deadline?: () => number;
  /** How long one batch may keep the lease alive (default the longer of 15 min and ten intervals). */
  maxBatchMs?: number;
  /** How data travels in task requests and results (default: what fits Lambda's 6 MB payloads). */
  exchange?: Partial<ExchangePolicy>;
  /** Batches with at most this many input records run in the coordinator, without invocations. */
  smallBatchRecords?: number;
  /** Memory, in MB, the coordinator may fill with held partitions and map outputs (default 768). */
  holdMb?: number;
  /** Where the coordinator reports notable events (a retried batch, a rebuilt job identity). */
  coordinatorLog?: (line: string) => void;
  onBatch?: (info: BatchInfo) => void;
  /** What watches the job (see StreamingListener); more can be added with addStreamingListener. */
  listeners?: readonly StreamingListener[];
  /** Batch times are `zeroTime + k * batchInterval`; default: now, rounded down to the interval. */
  zeroTime?: number;
  /** Stop after this many batches (default: run until stop()). */
  batches?: number;
  /** Memory of the task function, for each batch's billed Lambda GB-s (default 1,769 MB, as serverless.yml). */
  taskMemoryMb?: number;
}

/** Entry point of a streaming job: define input streams and operations, then start(). */
export class StreamingContext {
  readonly batchMs: number;
  readonly defaultPartitions: number;
  readonly name: string;
  readonly graph: DStreamGraph;
  readonly log: (line: string) => void;
  private running?: {
    done: Promise<void>;
    abort: AbortController;
    ownInvoker?: Invoker<TaskSpec, TaskResult>;
  };
  private coordinatorRef?: Coordinator;
  private readonly listeners: StreamingListener[] = [];
  /** The job's datasets; their listings are recorded in the job's store when the context starts. */
  readonly datasets: DatasetRegistry;

  constructor(options: StreamingContextOptions) {
    this.batchMs = toMillis(options.batchInterval, 'batchInterval');
    this.defaultPartitions = options.partitions ?? 4;
    checkPartitions(this.defaultPartitions, 'StreamingContext');
    this.name = options.name ?? 'job';
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(this.name)) {
      throw new InvalidGraphError(
        `job name '${this.name}' must be letters, digits, '.', '_' or '-' (it names store keys)`,
      );
    }
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.graph = new DStreamGraph(this.batchMs, this.defaultPartitions);
    this.graph.recordErrors = recordErrorPolicy(options.onRecordError);
    this.datasets = new DatasetRegistry(this.defaultPartitions);
  }

  /**
   * The objects under `location` (`s3://bucket/prefix/`, a directory, or a Store) as a dataset that does
   * not change with the batch time: use `dataset.rdd()` in transform or foreachBatch, or join a stream
   * with it (`joinDataset`). It is listed once when the job starts and read once per process.
   */
  dataset<T = string>(location: string | Store, options: DatasetOptions<T> = {}): Dataset<T> {
    this.requireNotStarted('dataset');
    return this.datasets.fromStore(location, options);
  }

  /** `values` as a dataset of `partitions` partitions (default: the context's). */
  parallelize<T>(values: readonly T[], partitions?: number): Dataset<T> {
    this.requireNotStarted('parallelize');
    return this.datasets.fromValues(values, partitions);
  }

  private requireNotStarted(operation: string): void {
    // A dataset is listed when the context starts; one made later would have no recorded listing.
    if (this.running) {
      throw new InvalidGraphError(
        `${operation}() after the context has started; create every dataset before start()`,
        { operation },
      );
    }
  }

  /** One array per batch: batch i receives `batches[i]`. For tests and examples. */
  queueStream<T>(batches: readonly (readonly T[])[], options: InputOptions = {}): DStream<T> {
    const name = options.name ?? `queue-${this.graph.streams.length}`;
    return this.inputStream(new QueueSource(name, batches), { ...options, name });
  }

  /** A synthetic, replayable stream of `ratePerSecond` records generated from their position. */
  generatorStream<T>(options: GeneratorOptions<T> & InputOptions): DStream<T> {
    if (!(options.ratePerSecond > 0)) {
      throw new InvalidGraphError(
        `generatorStream: ratePerSecond must be positive, got ${options.ratePerSecond}`,
      );
    }
    const name = options.name ?? `generator-${this.graph.streams.length}`;
    return this.inputStream(new GeneratorSource(name, options), { ...options, name });
  }

  /**
   * A Kinesis Data Stream: each batch reads every shard from just after the last committed position.
   * The client comes from the environment (AWS_REGION, AWS_ENDPOINT_URL_KINESIS for local emulators).
   */
  kinesisStream<T = string>(options: KinesisStreamOptions<T>): DStream<T> {
    const { streamName, client, partitions, name, ...rest } = options;
    if (typeof streamName !== 'string' || streamName.length === 0) {
      throw new InvalidGraphError('kinesisStream needs a streamName, e.g. { streamName: "events" }');
    }
    const source = new KinesisSource<T>({
      streamName,
      client:
        client ??
        kinesisClient({ endpoint: process.env.AWS_ENDPOINT_URL_KINESIS ?? process.env.AWS_ENDPOINT_URL }),
      // Emulators make a record readable as soon as it is put (the local AWS sets 0).
      ...(process.env.SLUICE_KINESIS_SETTLE_MS
        ? { settleMs: Number(process.env.SLUICE_KINESIS_SETTLE_MS) }
        : {}),
      ...rest,
    });
    return this.inputStream(source, { partitions, name: name ?? streamName });
  }

  /**
   * New objects under an S3 prefix (`s3://bucket/prefix/`) or a directory, as Spark's textFileStream: each
   * batch reads the objects that arrived in its interval, recorded in its manifest so a replay reads the
   * same ones. Objects already there at the start are skipped unless `existing: 'read'`.
   */
  fileStream<T = string>(location: string | Store, options: FileStreamOptions<T> = {}): DStream<T> {
    return fileStream(this, location, options);
  }

  /** A stream over any replayable source (Kinesis, files ...). */
  inputStream<T>(source: Source<T>, options: InputOptions = {}): DStream<T> {
    const partitions = options.partitions ?? this.defaultPartitions;
    checkPartitions(partitions, 'input stream');
    const name = options.name ?? `input-${this.graph.streams.length}`;
    return new DStream(this, new InputDStream(this.graph, name, source, partitions));
  }

  /**
   * Adds a listener for batches submitted, completed and failed, stages, task failures and notices (as
   * Spark's addStreamingListener). Listeners added after start() see events from then on.
   */
  addStreamingListener(listener: StreamingListener): void {
    this.listeners.push(listener);
    this.coordinatorRef?.bus.add(listener);
  }

  /** Validates the graph and starts running batches in the background. */
  start(options: StartOptions = {}): void {
    if (this.running) throw new InvalidGraphError('the context is already started; a context starts once');
    const clock = options.clock ?? new SystemClock();
    const zeroTime = options.zeroTime ?? Math.floor(clock.now() / this.batchMs) * this.batchMs;
    this.graph.start(zeroTime);
    const store = options.store ?? new MemoryStore();
    const ownInvoker = options.invoker
      ? undefined
      : new InProcessInvoker<TaskSpec, TaskResult>(
          (spec) => runTask(spec, { store, graphFor: () => this.graph }),
          options.workers ?? 2,
        );
    const coordinator = new Coordinator({
      job: this.name,
      graph: this.graph,
      store,
      invoker: options.invoker ?? ownInvoker!,
      clock,
      retry: options.retry,
      speculation: options.speculation,
      owner: options.owner,
      leaseTtlMs: options.leaseTtlMs,
      batchRetries: options.batchRetries,
      batchRetryBackoffMs: options.batchRetryBackoffMs,
      deadline: options.deadline,
      maxBatchMs: options.maxBatchMs,
      exchange: options.exchange,
      smallBatchRecords: options.smallBatchRecords,
      holdMb: options.holdMb,
      log: options.coordinatorLog,
      onBatch: options.onBatch,
      listeners: [...this.listeners, ...(options.listeners ?? [])],
      taskMemoryMb: options.taskMemoryMb,
    });
    this.coordinatorRef = coordinator;
    const abort = new AbortController();
    // Datasets are listed (or their recorded listing found) before the first batch, so an empty location
    // fails the start, not a batch, and every task reads the same objects.
    const done = this.datasets
      .pinAll(store)
      .then(() => coordinator.run({ batches: options.batches, signal: abort.signal }))
      .finally(() => ownInvoker?.close());
    done.catch(() => undefined); // surfaced through awaitTermination()
    this.running = { done, abort, ownInvoker };
  }

  /** Resolves when the context stops (after stop() or the requested batches); rejects if a batch failed. */
  awaitTermination(): Promise<void> {
    if (!this.running) return Promise.reject(new InvalidGraphError('the context was never started'));
    return this.running.done;
  }

  /** Stops after the batch in progress; resolves once it has finished. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running.abort.abort();
    await this.running.done.catch(() => undefined);
  }

  get coordinator(): Coordinator | undefined {
    return this.coordinatorRef;
  }
}
