import {
  type LineageNode,
  type Pair,
  ParallelPairsNode,
  type RDD,
  StateNode,
  type StateUpdate,
} from '../plan';
import { DStreamNode, type GraphHandle } from './dstream-node';

export interface StateDefinition<K, V, R> {
  operator: string;
  partitions: number;
  update: StateUpdate<K, V, R>;
  /** Rows of the state before the first batch, built from the user's initial pairs. */
  initialRows?: readonly Pair<K, unknown>[];
  toInitialRow?: (pair: Pair<K, unknown>, zeroTime: number) => R;
}

/**
 * Per-key state as a stream of datasets (updateStateByKey, mapWithState): the state at t is computed
 * from the state at t - slide and the batch at t. Its RDDs are persisted every batch and checkpointed,
 * so recomputing a lost state partition starts from the last checkpoint, never from the beginning.
 */
export class StateDStream<K, V, R> extends DStreamNode<R> {
  constructor(
    graph: GraphHandle,
    private readonly parent: DStreamNode<Pair<K, V>>,
    private readonly definition: StateDefinition<K, V, R>,
  ) {
    super(graph, definition.operator);
  }

  get parents(): readonly DStreamNode<unknown>[] {
    return [this.parent as DStreamNode<unknown>];
  }

  override get mustCheckpoint(): boolean {
    return true;
  }

  override get storedPartitions(): number {
    return this.definition.partitions;
  }

  protected compute(time: number): RDD<R> | undefined {
    const batch = this.parent.getOrCompute(time);
    if (!batch) return undefined;
    const { operator, partitions, update } = this.definition;
    const previous = this.previousState(time - this.slideMs);
    return this.wrap(new StateNode<K, V, R>(operator, previous, batch.node, partitions, time, update));
  }

  private previousState(time: number): LineageNode<R> | undefined {
    if (time <= this.graph.zeroTime) return this.initialState();
    return this.previous(time, true, this.definition.partitions)?.node;
  }

  private initialState(): LineageNode<R> | undefined {
    const { initialRows, toInitialRow, partitions } = this.definition;
    if (!initialRows || initialRows.length === 0) return undefined;
    const rows = toInitialRow
      ? initialRows.map((pair) => toInitialRow(pair, this.graph.zeroTime))
      : initialRows;
    return new ParallelPairsNode(
      rows as unknown as Pair<K, unknown>[],
      partitions,
    ) as unknown as LineageNode<R>;
  }
}
