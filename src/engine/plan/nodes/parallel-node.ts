import { partitionOf } from '../../util/hash';
import { type Dependency, LineageNode } from '../lineage';

/** Pairs defined in job code (e.g. an initial state), hash-partitioned like every keyed dataset. */
export class ParallelPairsNode<K, V> extends LineageNode<[K, V]> {
  constructor(
    private readonly pairs: readonly (readonly [K, V])[],
    partitions: number,
  ) {
    super('initial', partitions);
    this.partitioner = { partitions };
  }

  get dependencies(): readonly Dependency[] {
    return [];
  }

  protected async computePartition(partition: number): Promise<[K, V][]> {
    // Rows may carry more than a key and a value (mapWithState keeps timestamps); keep them whole.
    return this.pairs.filter((row) => partitionOf(row[0], this.numPartitions) === partition) as [K, V][];
  }
}
