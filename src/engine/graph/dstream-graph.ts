import type { LineageNode, NodeIdentity, RDD } from '../plan';
import { UnknownNodeError } from '../plan';
import { type DStreamNode, defaultCheckpointMs, type GraphHandle } from './dstream-node';
import { InvalidGraphError } from './errors';
import { InputDStream } from './input-dstream';
import type { OutputDStream } from './output-dstream';
import { DEFAULT_RECORD_ERRORS, type RecordErrorPolicy } from './record-errors';

/** One output operation's work for one batch. */
export interface BatchJob {
  time: number;
  output: OutputDStream<unknown>;
  rdd: RDD<unknown>;
}

/**
 * All streams of one StreamingContext. Generating a batch is deterministic: the same job code asked for
 * the same batch time builds the same lineage with the same ids, in the coordinator and in every task.
 */
export class DStreamGraph implements GraphHandle {
  readonly streams: DStreamNode<unknown>[] = [];
  readonly outputs: OutputDStream<unknown>[] = [];
  private readonly lineage = new Map<string, LineageNode<unknown>>();
  private started = false;
  zeroTime = 0;
  /** The newest batch generated: slice() reads back from it. */
  latestBatchTime?: number;
  /** What tasks do when user code fails on input records (the context's `onRecordError`). */
  recordErrors: RecordErrorPolicy = DEFAULT_RECORD_ERRORS;

  constructor(
    readonly batchMs: number,
    readonly defaultPartitions: number,
  ) {}

  get inputs(): InputDStream<unknown>[] {
    return this.streams.filter((s): s is InputDStream<unknown> => s instanceof InputDStream);
  }

  nextStreamId(): number {
    return this.streams.length;
  }

  register(stream: DStreamNode<unknown>): void {
    if (this.started) {
      throw new InvalidGraphError(
        `cannot add ${stream.operator} after the context has started; define every stream before start()`,
      );
    }
    this.streams.push(stream);
  }

  addOutput(output: OutputDStream<unknown>): number {
    this.outputs.push(output);
    return this.outputs.length - 1;
  }

  /** The stream given `name` with `named()`, if any. */
  streamNamed(name: string): DStreamNode<unknown> | undefined {
    return this.streams.find((stream) => stream.queryName === name);
  }

  /** Names given to streams with `named()`, in definition order. */
  get streamNames(): string[] {
    return this.streams.flatMap((stream) => (stream.queryName === undefined ? [] : [stream.queryName]));
  }

  onLineageNode(identity: NodeIdentity, node: LineageNode<unknown>): void {
    this.lineage.set(identity.id, node);
  }

  /** Checks the graph can run, and fixes its zero time. */
  start(zeroTime: number): void {
    if (this.outputs.length === 0) {
      throw new InvalidGraphError(
        'the graph has no output operation, so nothing would ever run: add foreachBatch(), print() or a sink to a stream',
      );
    }
    if (this.inputs.length === 0) {
      throw new InvalidGraphError(
        'the graph has no input stream: create one with queueStream() or generatorStream()',
      );
    }
    for (const stream of this.streams) {
      if (stream.mustCheckpoint && stream.checkpointMs === undefined) {
        stream.checkpointMs = defaultCheckpointMs(stream.slideMs);
      }
    }
    for (const stream of this.streams) if (stream.checkpointMs !== undefined) stream.remember(stream.slideMs);
    for (const output of this.outputs) output.remember(output.slideMs);
    this.zeroTime = zeroTime;
    this.started = true;
  }

  /** Streams whose RDD at `time` must be saved as a checkpoint. */
  checkpointsAt(time: number): DStreamNode<unknown>[] {
    return this.streams.filter((s) => s.isCheckpointTime(time));
  }

  get isStarted(): boolean {
    return this.started;
  }

  /** The jobs of a batch: every output that produces an RDD at `time`, in definition order. */
  generateJobs(time: number): BatchJob[] {
    this.latestBatchTime = Math.max(time, this.latestBatchTime ?? time);
    const jobs: BatchJob[] = [];
    for (const output of this.outputs) {
      const rdd = output.getOrCompute(time);
      if (rdd) jobs.push({ time, output, rdd });
    }
    return jobs;
  }

  /** Finds a lineage node of batch `time` by id, generating the batch's lineage if needed. */
  findNode(id: string, time: number): LineageNode<unknown> {
    let node = this.lineage.get(id);
    if (!node) {
      // Every stream, not only outputs' ancestors at this time: checkpoint work names nodes too.
      this.generateJobs(time);
      for (const stream of this.streams) stream.getOrCompute(time);
      node = this.lineage.get(id);
    }
    const nodeTime = timeOfNodeId(id);
    if (!node && nodeTime !== undefined && nodeTime < time) {
      // Driver code may run a remembered earlier batch's RDD (slice()): rebuild that batch's lineage.
      for (const stream of this.streams) stream.getOrCompute(nodeTime);
      node = this.lineage.get(id);
    }
    if (!node) {
      throw new UnknownNodeError(
        `lineage node ${id} is not produced by this job at batch ${time}; coordinator and task must load the same job code`,
        { id, time },
      );
    }
    return node;
  }

  /** Forgets lineage and cached RDDs that no batch after `time` can need. */
  forget(time: number): void {
    for (const stream of this.streams) stream.forget(time);
    const oldest = time - this.maxRememberMs();
    for (const [id, node] of this.lineage) if (node.time <= oldest) this.lineage.delete(id);
  }

  /** How far back any batch may read: data older than this before a batch time is garbage. */
  maxRememberMs(): number {
    return this.streams.reduce((max, s) => Math.max(max, s.rememberDurationMs), this.batchMs);
  }
}

/** The batch time in a lineage node id (`<origin>.<sequence>@<time>`), if it has one. */
function timeOfNodeId(id: string): number | undefined {
  const time = Number(id.slice(id.lastIndexOf('@') + 1));
  return id.includes('@') && Number.isFinite(time) ? time : undefined;
}
