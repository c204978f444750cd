import { type Dependency, LineageNode, narrow, type TaskContext } from '../lineage';

/** Partitions of the parents side by side: partition i of the union is some parent's partition j. */
export class UnionNode<T> extends LineageNode<T> {
  constructor(readonly parents: readonly LineageNode<T>[]) {
    super(
      'union',
      parents.reduce((sum, p) => sum + p.numPartitions, 0),
    );
  }

  get dependencies(): readonly Dependency[] {
    return this.parents.map(narrow);
  }

  protected computePartition(partition: number, ctx: TaskContext): Promise<T[]> {
    const [parent, index] = this.locate(partition);
    return parent.compute(index, ctx);
  }

  override forEach(partition: number, ctx: TaskContext, emit: (row: T) => void): Promise<void> {
    if (this.persisted) return super.forEach(partition, ctx, emit);
    const [parent, index] = this.locate(partition);
    return parent.forEach(index, ctx, emit);
  }

  private locate(partition: number): [LineageNode<T>, number] {
    let index = partition;
    for (const parent of this.parents) {
      if (index < parent.numPartitions) return [parent, index];
      index -= parent.numPartitions;
    }
    throw new RangeError(`union has ${this.numPartitions} partitions, asked for ${partition}`);
  }
}
