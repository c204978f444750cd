import { type Dependency, LineageNode } from '../lineage';

/** A dataset with partitions and no rows, e.g. a stream's output at a time it produced nothing. */
export class EmptyNode<T> extends LineageNode<T> {
  constructor(partitions: number) {
    super('empty', partitions);
  }

  get dependencies(): readonly Dependency[] {
    return [];
  }

  protected async computePartition(): Promise<T[]> {
    return [];
  }
}
