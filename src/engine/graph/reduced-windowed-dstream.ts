import { CoGroupedNode, type LineageNode, NarrowNode, type Pair, type RDD } from '../plan';
import { DStreamNode, type GraphHandle } from './dstream-node';
import { InvalidGraphError } from './errors';

export interface IncrementalWindowFunctions<K, V> {
  reduce: (a: V, b: V) => V;
  inverse: (a: V, b: V) => V;
  /** Keeps only the entries for which it returns true (e.g. drop counts that fell to zero). */
  filter?: (entry: Pair<K, V>) => boolean;
}

/**
 * reduceByKeyAndWindow with an inverse function (Spark's ReducedWindowedDStream): the window at t is the
 * window at t - slide, plus the reduced slices that entered, "minus" (inverse) the slices that left.
 * So a batch reads two slices' worth of data, not the whole window. The window's RDDs are state: they
 * are persisted every batch and checkpointed, which bounds their lineage.
 */
export class ReducedWindowedDStream<K, V> extends DStreamNode<Pair<K, V>> {
  constructor(
    graph: GraphHandle,
    /** Per-batch reduced values, hash-partitioned into `partitions`. */
    private readonly reduced: DStreamNode<Pair<K, V>>,
    readonly windowMs: number,
    private readonly windowSlideMs: number,
    private readonly partitions: number,
    private readonly functions: IncrementalWindowFunctions<K, V>,
  ) {
    super(graph, 'reduceByKeyAndWindow');
    if (windowSlideMs > windowMs) {
      // The slices that leave would include batches between windows that never entered one.
      throw new InvalidGraphError(
        `reduceByKeyAndWindow: an incremental window needs a slide no longer than the window (slide ${windowSlideMs}ms, window ${windowMs}ms); reduce a hopping window from its own batches instead`,
        { windowMs, slideMs: windowSlideMs },
      );
    }
  }

  get parents(): readonly DStreamNode<unknown>[] {
    return [this.reduced as DStreamNode<unknown>];
  }

  override get slideMs(): number {
    return this.windowSlideMs;
  }

  override get mustCheckpoint(): boolean {
    return true;
  }

  protected override parentRememberMs(): number {
    return this.rememberDurationMs + this.windowMs;
  }

  override get storedPartitions(): number {
    return this.partitions;
  }

  protected compute(time: number): RDD<Pair<K, V>> | undefined {
    const step = this.reduced.slideMs;
    const previousTime = time - this.windowSlideMs;
    // Slices that left the window: (t - window - slide, t - window]; that entered: (t - slide, t].
    const leaving = this.slices(previousTime - this.windowMs + step, time - this.windowMs, step);
    const entering = this.slices(previousTime + step, time, step);
    const previous = this.previous(previousTime, true, this.partitions);
    const sides: LineageNode<Pair<K, unknown>>[] = [
      ...(previous ? [previous.node] : []),
      ...leaving.map((r) => r.node),
      ...entering.map((r) => r.node),
    ];
    if (sides.length === 0) return undefined;
    const grouped = this.wrap(
      new CoGroupedNode<K>(sides as LineageNode<[K, unknown]>[], this.partitions, 'reduceByKeyAndWindow'),
    );
    const hasPrevious = previous !== undefined;
    const merged = new NarrowNode<[K, unknown[][]], Pair<K, V>>(
      'reduceByKeyAndWindow',
      grouped.node,
      (groups) => this.merge(groups, hasPrevious, leaving.length),
      true,
    );
    // The merged window is state for the next batch: keep it.
    merged.persisted = true;
    return this.wrap(merged);
  }

  private slices(from: number, to: number, step: number): RDD<Pair<K, V>>[] {
    const out: RDD<Pair<K, V>>[] = [];
    for (let t = from; t <= to; t += step) {
      const rdd = this.reduced.getOrCompute(t);
      if (rdd) {
        rdd.node.persisted = true;
        out.push(rdd);
      }
    }
    return out;
  }

  private merge(groups: [K, unknown[][]][], hasPrevious: boolean, leavingCount: number): Pair<K, V>[] {
    const { reduce, inverse, filter } = this.functions;
    const out: Pair<K, V>[] = [];
    for (const [key, sides] of groups) {
      const previous = hasPrevious ? (sides[0] as V[]) : [];
      const first = hasPrevious ? 1 : 0;
      const leaving = sides.slice(first, first + leavingCount).flat() as V[];
      const entering = sides.slice(first + leavingCount).flat() as V[];
      let value: V;
      if (previous.length === 0) {
        if (entering.length === 0) {
          throw new InvalidGraphError(
            `reduceByKeyAndWindow: key ${JSON.stringify(key)} has values leaving the window but no value in the previous window; ` +
              'a filter may only drop keys whose every value has left the window (e.g. counts of 0), and keys must hash consistently',
            { key: JSON.stringify(key) },
          );
        }
        value = entering.reduce(reduce);
      } else {
        value = previous[0];
        if (leaving.length > 0) value = inverse(value, leaving.reduce(reduce));
        if (entering.length > 0) value = reduce(value, entering.reduce(reduce));
      }
      if (!filter || filter([key, value])) out.push([key, value]);
    }
    return out;
  }
}
