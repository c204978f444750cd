import { type LineageNode, type NodeIdentity, RDD } from '../plan';
import { IdScope, withScope } from '../plan/scope';
import { InvalidGraphError } from './errors';

/** What every stream node needs from its graph. */
export interface GraphHandle {
  readonly batchMs: number;
  readonly zeroTime: number;
  readonly defaultPartitions: number;
  nextStreamId(): number;
  register(stream: DStreamNode<unknown>): void;
  /** Receives every lineage node made while generating a batch, so tasks can find them by id. */
  onLineageNode(identity: NodeIdentity, node: LineageNode<unknown>): void;
}

/**
 * Base of every stream operator: a stream is a function from batch time to an RDD. The base owns what
 * all operators share: caching the RDD generated for each time (so one batch's lineage is built once and
 * shared by every output that needs it), deterministic lineage ids, and forgetting old RDDs.
 */
export abstract class DStreamNode<T> {
  readonly id: number;
  /** How long generated RDDs are kept; operators that look back in time (windows) extend their parents'. */
  private rememberMs: number;
  private readonly generated = new Map<number, RDD<T> | null>();

  constructor(
    readonly graph: GraphHandle,
    readonly operator: string,
  ) {
    this.id = graph.nextStreamId();
    this.rememberMs = 0;
    graph.register(this as DStreamNode<unknown>);
  }

  abstract get parents(): readonly DStreamNode<unknown>[];

  /** Interval between this stream's RDDs; the batch interval unless a window changes it. */
  get slideMs(): number {
    return this.parents[0]?.slideMs ?? this.graph.batchMs;
  }

  /** Builds the lineage for `time`; runs inside this node's id scope. Undefined when nothing is produced. */
  protected abstract compute(time: number): RDD<T> | undefined;

  /** True when this stream produces an RDD at `time` (times are counted from the graph's zero time). */
  isTimeValid(time: number): boolean {
    const elapsed = time - this.graph.zeroTime;
    return elapsed > 0 && elapsed % this.slideMs === 0;
  }

  getOrCompute(time: number): RDD<T> | undefined {
    const cached = this.generated.get(time);
    if (cached !== undefined) return cached ?? undefined;
    if (!this.isTimeValid(time)) return undefined;
    const scope = new IdScope(`s${this.id}`, time, true, (identity, node) =>
      this.graph.onLineageNode(identity, node as LineageNode<unknown>),
    );
    const rdd = withScope(scope, () => this.compute(time));
    this.generated.set(time, rdd ?? null);
    return rdd;
  }

  /** How far back batches may still read this stream's RDDs. */
  get rememberDurationMs(): number {
    return Math.max(this.rememberMs, this.slideMs);
  }

  /** Keep RDDs for at least `ms` (windows over this stream call it). */
  remember(ms: number): void {
    if (ms > this.rememberMs) this.rememberMs = ms;
    for (const parent of this.parents) parent.remember(this.rememberMs);
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
