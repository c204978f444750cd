import { PromiseReturnedError, UserFunctionError } from '../errors';
import { type Dependency, LineageNode, narrow, type TaskContext } from '../lineage';

/** One input row in, any number of rows out through `emit`. */
export type RecordStep<T, U> = (value: T, emit: (row: U) => void) => void;

/** Takes a pair apart: key and value are passed on separately, so no tuple is built for them. */
export type PairEmit = (key: unknown, value: unknown) => void;

/**
 * How deep in a fused chain the row being processed is: every step adds one while it hands a row to the
 * next and takes it off after, so when user code throws, `depth` is the position of the operator that
 * threw (the consumer's when it equals the chain's length). Cheaper than a try/catch per operator.
 */
export interface StageTrace {
  depth: number;
}

/**
 * A record operator written against what comes after it: `into(next, trace)` returns the function that
 * takes one input row and pushes its output into `next`, counting `trace.depth` up around each push. A
 * chain of operators is then one closure per operator per partition, each calling the next directly.
 */
export interface FusedStep<T, U> {
  into(emit: (row: U) => void, trace: StageTrace): (value: T) => void;
  /**
   * For operators whose rows are `[key, value]` pairs: pushes key and value apart, for a consumer that
   * would take the pair apart at once (a map-side combiner), so the engine builds no tuple per record.
   */
  intoPairs?(emit: PairEmit, trace: StageTrace): (value: T) => void;
}

/**
 * A record-at-a-time transformation (map, flatMap, filter, mapValues ...). Consecutive record nodes fuse
 * into one loop per partition with no intermediate arrays and one try/catch for the whole partition; the
 * chain's StageTrace names the operator that threw.
 */
export class RecordNode<T, U> extends LineageNode<U> {
  readonly fused: FusedStep<T, U>;

  constructor(
    operator: string,
    readonly parent: LineageNode<T>,
    step: RecordStep<T, U> | FusedStep<T, U>,
    /** True for operators that never change a row's key (filter, mapValues ...). */
    preservesPartitioning = false,
  ) {
    super(operator, parent.numPartitions);
    this.fused = typeof step === 'function' ? traced(step) : step;
    if (preservesPartitioning) this.partitioner = parent.partitioner;
  }

  get dependencies(): readonly Dependency[] {
    return [narrow(this.parent)];
  }

  override async forEach(partition: number, ctx: TaskContext, emit: (row: U) => void): Promise<void> {
    if (!this.streams(partition, ctx)) return super.forEach(partition, ctx, emit);
    return this.run(partition, ctx, (trace) => this.fused.into(emit, trace));
  }

  /** Whether forEachPair can run here; when it cannot, read rows with forEach. */
  emitsPairs(partition: number, ctx: TaskContext): boolean {
    return this.fused.intoPairs !== undefined && this.streams(partition, ctx);
  }

  /** Pushes every row's key and value apart; only where `emitsPairs` said so. */
  forEachPair(partition: number, ctx: TaskContext, emit: PairEmit): Promise<void> {
    return this.run(partition, ctx, (trace) => this.fused.intoPairs!(emit, trace));
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<U[]> {
    const rows: U[] = [];
    await this.run(partition, ctx, (trace) => this.fused.into((row) => rows.push(row), trace));
    return rows;
  }

  /**
   * True when rows are computed here record by record. Persisted rows come from (or go to) the store as a
   * whole partition, and precomputed ones are handed over whole: compute() handles both.
   */
  private streams(partition: number, ctx: TaskContext): boolean {
    return !this.persisted && this.checkpointOf === undefined && !ctx.precomputed?.(this, partition);
  }

  /** Feeds the partition's source rows through the fused record ancestors into this node's step. */
  private async run(
    partition: number,
    ctx: TaskContext,
    own: (trace: StageTrace) => (value: T) => void,
  ): Promise<void> {
    const trace: StageTrace = { depth: 0 };
    const chain: RecordNode<unknown, unknown>[] = [this as RecordNode<unknown, unknown>];
    let head: LineageNode<unknown> = this.parent;
    let first = own(trace) as (value: unknown) => void;
    while (head instanceof RecordNode && head.streams(partition, ctx)) {
      first = head.fused.into(first, trace);
      chain.push(head);
      head = head.parent;
    }
    const rows = await head.compute(partition, ctx);
    try {
      for (let i = 0; i < rows.length; i++) first(rows[i]);
    } catch (error) {
      // Attributed further down (a map-side combiner) or by a nested chain: pass it on. A function that
      // returns promises is the job's mistake, not a record's: it must not be dead-lettered record by record.
      if (error instanceof UserFunctionError || error instanceof PromiseReturnedError) throw error;
      // The chain runs from its last element (depth 0) to this node; past it, the consumer threw, and
      // its plain errors are charged to this node, whose output it was consuming.
      const culprit = chain[Math.max(0, chain.length - 1 - trace.depth)];
      throw new UserFunctionError(culprit.operator, culprit.id, partition, error);
    }
  }
}

/** The step of a plain RecordStep function, counting depth around each row it emits. */
function traced<T, U>(step: RecordStep<T, U>): FusedStep<T, U> {
  return {
    into: (emit, trace) => {
      const next = (row: U) => {
        trace.depth++;
        emit(row);
        trace.depth--;
      };
      return (value) => step(value, next);
    },
  };
}
