import { CheckpointNode, type LineageNode, NarrowNode, type NodeIdentity, RDD } from '../plan';
import { IdScope, withScope } from '../plan/scope';
import { formatMillis } from '../util/duration';
import { InvalidGraphError, NotRememberedError } from './errors';

/** What every stream node needs from its graph. */
export interface GraphHandle {
  readonly batchMs: number;
  readonly zeroTime: number;
  readonly defaultPartitions: number;
  nextStreamId(): number;
  register(stream: DStreamNode<unknown>): void;
  /** Receives every lineage node made while generating a batch, so tasks can find them by id. */
  onLineageNode(identity: NodeIdentity, node: LineageNode<unknown>): void;
  /** The newest batch time generated so far (the batch in progress); undefined before the first. */
  readonly latestBatchTime?: number;
}

/** Smallest multiple of `slideMs` that is at least 10 s: the default checkpoint interval (as in Spark). */
export function defaultCheckpointMs(slideMs: number): number {
  return Math.ceil(10_000 / slideMs) * slideMs;
}

/**
 * Base of every stream operator: a stream is a function from batch time to an RDD. The base owns what
 * all operators share: caching the RDD generated for each time (so one batch's lineage is built once and
 * shared by every output that needs it), deterministic lineage ids, checkpoint marking, how long RDDs
 * are remembered, and forgetting old ones.
 */
export abstract class DStreamNode<T> {
  readonly id: number;
  private rememberMs = 0;
  /** Interval between checkpoints of this stream's RDDs; undefined when it is never checkpointed. */
  checkpointMs?: number;
  /** The name queries find this stream by (`stream.named(...)`); unique within the graph. */
  queryName?: string;
  private readonly generated = new Map<number, RDD<T> | null>();

  constructor(
    readonly graph: GraphHandle,
    readonly operator: string,
  ) {
    this.id = graph.nextStreamId();
    graph.register(this as DStreamNode<unknown>);
  }

  abstract get parents(): readonly DStreamNode<unknown>[];

  /** Interval between this stream's RDDs; the batch interval unless a window changes it. */
  get slideMs(): number {
    return this.parents[0]?.slideMs ?? this.graph.batchMs;
  }

  /** Streams whose lineage would otherwise grow forever (state, incremental windows) must checkpoint. */
  get mustCheckpoint(): boolean {
    return false;
  }

  /** Builds the lineage for `time`; runs inside this node's id scope. Undefined when nothing is produced. */
  protected abstract compute(time: number): RDD<T> | undefined;

  /**
   * Partitions of the data this stream keeps across batches (input blocks, state, incremental windows),
   * recorded with the job: a restart with a different count would misread what was stored.
   */
  get storedPartitions(): number | undefined {
    return undefined;
  }

  /** How far back this stream reads its parents, given how long it must itself be remembered. */
  protected parentRememberMs(): number {
    return this.rememberMs;
  }

  /** True when this stream produces an RDD at `time` (times are counted from the graph's zero time). */
  isTimeValid(time: number): boolean {
    const elapsed = time - this.graph.zeroTime;
    return elapsed > 0 && elapsed % this.slideMs === 0;
  }

  isCheckpointTime(time: number): boolean {
    return (
      this.checkpointMs !== undefined &&
      this.isTimeValid(time) &&
      (time - this.graph.zeroTime) % this.checkpointMs === 0
    );
  }

  getOrCompute(time: number): RDD<T> | undefined {
    const cached = this.generated.get(time);
    if (cached !== undefined) return cached ?? undefined;
    if (!this.isTimeValid(time)) return undefined;
    const scope = new IdScope(`s${this.id}`, time, true, (identity, node) =>
      this.graph.onLineageNode(identity, node as LineageNode<unknown>),
    );
    const rdd = withScope(scope, () => {
      const computed = this.compute(time);
      // A stream that passes another stream's RDD through (transform(r => r), a one-slice window) gets
      // its own node to checkpoint, so the two streams' checkpoints never share one node.
      if (computed && this.isCheckpointTime(time) && !this.owns(computed.node, time)) {
        return this.wrap(new NarrowNode('checkpoint', computed.node, (rows) => rows, true));
      }
      return computed;
    });
    if (rdd && this.isCheckpointTime(time)) rdd.node.checkpointOf = this.id;
    this.generated.set(time, rdd ?? null);
    return rdd;
  }

  private owns(node: LineageNode<unknown>, time: number): boolean {
    return node.time === time && node.keyName.startsWith(`s${this.id}.`);
  }

  /**
   * This stream's RDD at `time` for a later batch to build on: the checkpoint when `time` is a
   * checkpoint time (lineage stops there), otherwise the RDD with its lineage.
   */
  protected previous(time: number, hashPartitioned: boolean, partitions: number): RDD<T> | undefined {
    if (!this.isTimeValid(time)) return undefined;
    if (this.isCheckpointTime(time)) {
      return this.wrap(new CheckpointNode<T>(this.id, time, partitions, hashPartitioned));
    }
    return this.getOrCompute(time);
  }

  /** Sets the checkpoint interval; it must be a multiple of the slide. */
  setCheckpointInterval(ms: number): void {
    if (ms % this.slideMs !== 0) {
      throw new InvalidGraphError(
        `checkpoint interval ${formatMillis(ms)} of ${this.describe()} must be a multiple of its slide ${formatMillis(this.slideMs)}`,
        { operator: this.operator, checkpointMs: ms, slideMs: this.slideMs },
      );
    }
    this.checkpointMs = ms;
  }

  /** How far back batches may still read this stream's RDDs. */
  get rememberDurationMs(): number {
    return Math.max(this.rememberMs, this.slideMs);
  }

  /**
   * Keep RDDs for at least `ms`, and make parents keep what that needs. Checkpointed streams also keep
   * everything since their last checkpoint, since recovery recomputes from there.
   */
  remember(ms: number): void {
    const needed = Math.max(
      ms,
      this.slideMs,
      this.checkpointMs === undefined ? 0 : this.checkpointMs + this.slideMs,
    );
    if (needed <= this.rememberMs) return;
    this.rememberMs = needed;
    for (const parent of this.parents) parent.remember(this.parentRememberMs());
  }

  /**
   * This stream's RDDs at its batch times in [from, to], oldest first (Spark's DStream.slice). Only
   * times still remembered from the batch in progress, (latest - remember, latest], can be read: older
   * ones are gone, later ones do not exist yet, and either is a NotRememberedError saying what to do.
   */
  slice(from: number, to: number): RDD<T>[] {
    const latest = this.graph.latestBatchTime;
    if (latest === undefined) {
      throw new NotRememberedError(
        `slice() of ${this.describe()} reads batches of a running stream: call it in foreachBatch or transform, after start()`,
        { stream: this.id },
      );
    }
    const oldest = latest - this.rememberDurationMs;
    const rdds: RDD<T>[] = [];
    for (let t = this.firstTimeFrom(from); t <= to; t += this.slideMs) {
      if (t > latest) {
        throw new NotRememberedError(
          `slice() of ${this.describe()}: batch ${t} is after the batch in progress (${latest}), so it has no data yet`,
          { stream: this.id, time: t, latest },
        );
      }
      if (t <= oldest) {
        throw new NotRememberedError(
          `slice() of ${this.describe()}: batch ${t} is no longer remembered at batch ${latest}; the stream keeps ` +
            `${formatMillis(this.rememberDurationMs)} of batches: call remember('${formatMillis(latest - t + this.slideMs)}') or longer on it before start()`,
          { stream: this.id, time: t, latest, rememberMs: this.rememberDurationMs },
        );
      }
      const rdd = this.getOrCompute(t);
      if (rdd) rdds.push(rdd);
    }
    return rdds;
  }

  /** The first of this stream's batch times at or after `time` (and after the zero time). */
  private firstTimeFrom(time: number): number {
    const zero = this.graph.zeroTime;
    if (time <= zero) return zero + this.slideMs;
    return zero + Math.ceil((time - zero) / this.slideMs) * this.slideMs;
  }

  /** Drops cached RDDs that no batch at or after `time` can use. */
  forget(time: number): void {
    const keepAfter = time - this.rememberDurationMs;
    for (const t of this.generated.keys()) if (t <= keepAfter) this.generated.delete(t);
  }

  describe(): string {
    return `${this.operator} (stream ${this.id})`;
  }

  protected wrap<U>(node: LineageNode<U>): RDD<U> {
    return new RDD(node);
  }

  protected requireSameGraph(other: DStreamNode<unknown>): void {
    if (other.graph !== this.graph) {
      throw new InvalidGraphError(
        `${this.operator}: the other stream belongs to a different StreamingContext; streams can only be combined within one context`,
        { operator: this.operator },
      );
    }
  }
}
