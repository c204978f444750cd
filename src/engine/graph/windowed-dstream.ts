import type { RDD } from '../plan';
import { DStreamNode, type GraphHandle } from './dstream-node';

/**
 * The union of the parent's RDDs over the last `windowMs`, every `slideMs`. The parent's RDDs are
 * persisted the first time they are computed, so each batch reads the window's slices instead of
 * recomputing them from their input.
 */
export class WindowedDStream<T> extends DStreamNode<T> {
  constructor(
    graph: GraphHandle,
    private readonly parent: DStreamNode<T>,
    readonly windowMs: number,
    private readonly windowSlideMs: number,
    operator = 'window',
  ) {
    super(graph, operator);
  }

  get parents(): readonly DStreamNode<unknown>[] {
    return [this.parent as DStreamNode<unknown>];
  }

  override get slideMs(): number {
    return this.windowSlideMs;
  }

  protected override parentRememberMs(): number {
    return this.rememberDurationMs + this.windowMs;
  }

  protected compute(time: number): RDD<T> | undefined {
    const slices: RDD<T>[] = [];
    const step = this.parent.slideMs;
    for (let t = time - this.windowMs + step; t <= time; t += step) {
      const rdd = this.parent.getOrCompute(t);
      if (!rdd) continue;
      rdd.node.persisted = true;
      slices.push(rdd);
    }
    if (slices.length === 0) return undefined;
    return slices.length === 1 ? slices[0] : slices[0].union(...slices.slice(1));
  }
}
