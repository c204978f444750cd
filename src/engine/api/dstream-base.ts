import { type DStreamNode, InvalidGraphError, TransformedDStream, UnionDStream } from '../graph';
import { checkPartitions, countRdd, type Pair, RDD, reduceRdd } from '../plan';
import { refuseAsyncFunction } from '../plan/nodes/record-steps';
import { type Duration, toMillis } from '../util/duration';
import { ConfigError } from '../util/errors';
import { currentDriverRunner } from './driver-batch';
import type { StreamingContext } from './streaming-context';

/**
 * A discretized stream: a sequence of RDDs, one per batch interval. Every operation returns a new stream
 * whose RDD at time t is a deterministic function of its parents' RDDs at t.
 *
 * This file holds what every stream has: its node, the per-batch transformations and checkpointing. The
 * pair, window, state and output operations live in files of their own and are added to this class by
 * `./dstream`, which is where DStream is imported from.
 */
export class DStream<T> {
  constructor(
    readonly context: StreamingContext,
    readonly node: DStreamNode<T>,
  ) {}

  /** Interval between this stream's RDDs, in ms. */
  get slideMs(): number {
    return this.node.slideMs;
  }

  map<U>(f: (value: T) => U): DStream<U> {
    refuseAsyncFunction('map', f);
    return transformed(this, 'map', (rdd) => rdd.map(f));
  }

  flatMap<U>(f: (value: T) => Iterable<U>): DStream<U> {
    refuseAsyncFunction('flatMap', f);
    return transformed(this, 'flatMap', (rdd) => rdd.flatMap(f));
  }

  filter(predicate: (value: T) => boolean): DStream<T> {
    refuseAsyncFunction('filter', predicate);
    return transformed(this, 'filter', (rdd) => rdd.filter(predicate));
  }

  mapPartitions<U>(f: (rows: T[], partition: number) => Iterable<U>): DStream<U> {
    refuseAsyncFunction('mapPartitions', f);
    return transformed(this, 'mapPartitions', (rdd) => rdd.mapPartitions(f));
  }

  /** Each partition of each batch becomes one array. */
  glom(): DStream<T[]> {
    return transformed(this, 'glom', (rdd) => rdd.glom());
  }

  union(...others: DStream<T>[]): DStream<T> {
    for (const other of others) requireSameContext('union', this, other);
    const node = new UnionDStream(this.context.graph, [this.node, ...others.map((o) => o.node)]);
    return new DStream(this.context, node);
  }

  /** Any RDD-to-RDD function per batch. It only builds lineage, so it must be deterministic. */
  transform<U>(f: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U> {
    return transformed(this, 'transform', f);
  }

  transformWith<U, V>(other: DStream<U>, f: (a: RDD<T>, b: RDD<U>, time: number) => RDD<V>): DStream<V> {
    return transformedWith(this, 'transformWith', other, f);
  }

  repartition(partitions: number): DStream<T> {
    checkPartitions(partitions, 'repartition');
    return transformed(this, 'repartition', (rdd) => rdd.repartition(partitions));
  }

  /** One element per batch: all elements reduced with `f` (nothing for an empty batch). */
  reduce(f: (a: T, b: T) => T): DStream<T> {
    return transformed(this, 'reduce', (rdd) => reduceRdd(rdd, f));
  }

  /** One element per batch: the number of elements (0 for an empty batch). */
  count(): DStream<number> {
    return transformed(this, 'count', (rdd) => countRdd(rdd));
  }

  countByValue(partitions = this.context.defaultPartitions): DStream<Pair<T, number>> {
    checkPartitions(partitions, 'countByValue');
    return transformed(this, 'countByValue', (rdd) => rdd.countByValue(partitions));
  }

  /**
   * Keep this stream's RDDs (and the data they are computed from) for at least `duration` after their
   * batch, so that `slice()` can still read them. Call it before start(), in the job's code.
   */
  remember(duration: Duration): this {
    const ms = toMillis(duration, 'remember duration');
    if (this.context.graph.isStarted) {
      throw new InvalidGraphError(
        `remember() of ${this.node.describe()} must be called before start(), where the job defines its streams`,
        { stream: this.node.id },
      );
    }
    this.node.remember(ms);
    return this;
  }

  /**
   * This stream's RDDs at its batch times in [from, to] (ms, as foreachBatch's `time`), oldest first, as
   * Spark's DStream.slice. Only batches still remembered from the batch in progress can be read (see
   * `remember`). In foreachBatch their actions (collect, take ...) run in the batch in progress; in
   * transform they build lineage like the batch's own RDD.
   */
  slice(from: number, to: number): RDD<T>[] {
    if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
      throw new ConfigError(
        `slice(from, to) needs batch times (ms) with from <= to, got slice(${from}, ${to}); e.g. slice(time - 5000, time) in foreachBatch`,
        { from, to },
      );
    }
    const rdds = this.node.slice(from, to);
    const runner = currentDriverRunner();
    return runner ? rdds.map((rdd) => new RDD(rdd.node, runner)) : rdds;
  }

  /** Checkpoint this stream's RDDs every `interval` (a multiple of its slide), cutting their lineage. */
  checkpoint(interval: Duration): this {
    this.node.setCheckpointInterval(toMillis(interval, 'checkpoint interval'));
    return this;
  }
}

/** A stream made from `node`, in the context of `stream`. */
export function derived<T, U>(stream: DStream<T>, node: DStreamNode<U>): DStream<U> {
  return new DStream(stream.context, node);
}

/** The stream whose RDD at each time is `f` of the parent's RDD at that time. */
export function transformed<T, U>(
  stream: DStream<T>,
  operator: string,
  f: (rdd: RDD<T>, time: number) => RDD<U>,
): DStream<U> {
  const node = new TransformedDStream<U>(
    stream.context.graph,
    operator,
    [stream.node as DStreamNode<unknown>],
    (rdds, time) => f(rdds[0] as RDD<T>, time),
  );
  return derived(stream, node);
}

/** As `transformed`, over two streams of the same context. */
export function transformedWith<T, U, V>(
  stream: DStream<T>,
  operator: string,
  other: DStream<U>,
  f: (a: RDD<T>, b: RDD<U>, time: number) => RDD<V>,
): DStream<V> {
  requireSameContext(operator, stream, other);
  const node = new TransformedDStream<V>(
    stream.context.graph,
    operator,
    [stream.node as DStreamNode<unknown>, other.node as DStreamNode<unknown>],
    (rdds, time) => f(rdds[0] as RDD<T>, rdds[1] as RDD<U>, time),
  );
  return derived(stream, node);
}

function requireSameContext(operator: string, stream: DStream<any>, other: DStream<any>): void {
  if (!(other instanceof DStream) || other.context !== stream.context) {
    throw new InvalidGraphError(
      `${operator}: the other stream was created by a different StreamingContext; build both streams from the same context`,
      { operator },
    );
  }
}
