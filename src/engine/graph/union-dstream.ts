import type { RDD } from '../plan';
import { DStreamNode, type GraphHandle } from './dstream-node';
import { InvalidGraphError } from './errors';

/** The records of several streams with the same slide, batch by batch. */
export class UnionDStream<T> extends DStreamNode<T> {
  constructor(
    graph: GraphHandle,
    private readonly sources: readonly DStreamNode<T>[],
  ) {
    super(graph, 'union');
    for (const source of sources) this.requireSameGraph(source as DStreamNode<unknown>);
    if (new Set(sources.map((s) => s.slideMs)).size > 1) {
      throw new InvalidGraphError('union: all streams must have the same slide interval', {
        operator: 'union',
      });
    }
  }

  get parents(): readonly DStreamNode<unknown>[] {
    return this.sources as readonly DStreamNode<unknown>[];
  }

  protected compute(time: number): RDD<T> | undefined {
    const rdds = this.sources.map((s) => s.getOrCompute(time)).filter((r): r is RDD<T> => r !== undefined);
    if (rdds.length === 0) return undefined;
    return rdds[0].union(...rdds.slice(1));
  }
}
