import { PlanError } from '../errors';
import { type Dependency, LineageNode, narrow, samePartitioning, type TaskContext } from '../lineage';

/** Partitions of the parents side by side: partition i of the union is some parent's partition j. */
export class UnionNode<T> extends LineageNode<T> {
  /** When every parent has the same hash partitioning, partition i is the parents' partitions i together. */
  readonly coPartitioned: boolean;

  constructor(readonly parents: readonly LineageNode<T>[]) {
    const coPartitioned =
      parents.length > 1 && parents.every((p) => samePartitioning(p.partitioner, parents[0].partitioner));
    super(
      'union',
      coPartitioned ? parents[0].numPartitions : parents.reduce((sum, p) => sum + p.numPartitions, 0),
    );
    this.coPartitioned = coPartitioned;
    if (coPartitioned) this.partitioner = parents[0].partitioner;
  }

  get dependencies(): readonly Dependency[] {
    return this.parents.map(narrow);
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<T[]> {
    if (this.coPartitioned) {
      return (await Promise.all(this.parents.map((p) => p.compute(partition, ctx)))).flat() as T[];
    }
    const [parent, index] = this.locate(partition);
    return parent.compute(index, ctx);
  }

  override forEach(partition: number, ctx: TaskContext, emit: (row: T) => void): Promise<void> {
    if (this.persisted || this.checkpointOf !== undefined || this.coPartitioned) {
      return super.forEach(partition, ctx, emit);
    }
    const [parent, index] = this.locate(partition);
    return parent.forEach(index, ctx, emit);
  }

  override narrowReads(partition: number): [LineageNode<unknown>, number][] {
    if (this.coPartitioned) return this.parents.map((p) => [p as LineageNode<unknown>, partition]);
    const [parent, index] = this.locate(partition);
    return [[parent as LineageNode<unknown>, index]];
  }

  private locate(partition: number): [LineageNode<T>, number] {
    let index = partition;
    for (const parent of this.parents) {
      if (index < parent.numPartitions) return [parent, index];
      index -= parent.numPartitions;
    }
    throw new PlanError(`union has ${this.numPartitions} partitions, asked for ${partition}`, {
      node: this.id,
      partition,
    });
  }
}
