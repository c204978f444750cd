import { RDD } from '../plan';
import { DStreamNode, type GraphHandle } from './dstream-node';
import { InvalidGraphError, TransformError } from './errors';

export type BatchTransform<T> = (rdds: RDD<unknown>[], time: number) => RDD<T>;

/**
 * Any per-batch function of its parents' RDDs at the same time: map, filter, reduceByKey, join,
 * transform, transformWith ... The function only builds lineage; it runs in the coordinator and again
 * in task processes, so it must be deterministic.
 */
export class TransformedDStream<T> extends DStreamNode<T> {
  constructor(
    graph: GraphHandle,
    operator: string,
    private readonly sources: readonly DStreamNode<unknown>[],
    private readonly transformFn: BatchTransform<T>,
  ) {
    super(graph, operator);
    for (const source of sources) this.requireSameGraph(source);
    const slides = new Set(sources.map((s) => s.slideMs));
    if (slides.size > 1) {
      throw new InvalidGraphError(
        `${operator}: the streams have different slide intervals (${[...slides].join(' ms, ')} ms); window them to the same slide first`,
        { operator },
      );
    }
  }

  get parents(): readonly DStreamNode<unknown>[] {
    return this.sources;
  }

  protected compute(time: number): RDD<T> | undefined {
    const rdds: RDD<unknown>[] = [];
    for (const parent of this.sources) {
      const rdd = parent.getOrCompute(time);
      if (!rdd) return undefined;
      rdds.push(rdd);
    }
    let result: RDD<T>;
    try {
      result = this.transformFn(rdds, time);
    } catch (error) {
      // An operator inside the function (repartition(0) ...) names itself; otherwise this stream does.
      const inner = (error as { context?: { operator?: unknown } })?.context?.operator;
      const operator = typeof inner === 'string' ? inner : this.operator;
      const reason = error instanceof Error ? error.message : String(error);
      throw new TransformError(
        `${this.describe()} failed at ${time}: ${reason}`,
        { operator, time },
        { cause: error },
      );
    }
    if (!(result instanceof RDD)) {
      throw new InvalidGraphError(`${this.operator} must return an RDD, got ${describeValue(result)}`, {
        operator: this.operator,
        time,
      });
    }
    return result;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array (build an RDD with the rdd operations instead)';
  return typeof value === 'object' ? `an object (${(value as object).constructor?.name})` : typeof value;
}
