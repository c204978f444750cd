import { type Dependency, LineageNode, type TaskContext } from '../lineage';

/**
 * How a dataset's rows are split: `objects` keeps each object's rows together (objects balanced by size
 * over the partitions); `byKey` hash-partitions `[key, value]` rows, so joins with it need no shuffle of
 * the dataset.
 */
export type DatasetLayout = 'objects' | 'byKey';

/** What a dataset node asks of its dataset; the rows are loaded once per process and kept. */
export interface DatasetPartitions<T> {
  readonly name: string;
  partition(partition: number, partitions: number, layout: DatasetLayout, ctx: TaskContext): Promise<T[]>;
}

/**
 * A job-level dataset (objects under a location, or values from job code) as one batch's RDD. It has no
 * dependencies and no batch-time input: every batch's node reads the same rows, which the dataset keeps
 * per process, so using it in every interval reads the store once.
 */
export class DatasetNode<T> extends LineageNode<T> {
  constructor(
    private readonly dataset: DatasetPartitions<T>,
    partitions: number,
    private readonly layout: DatasetLayout,
  ) {
    super(`dataset '${dataset.name}'`, partitions);
    if (layout === 'byKey') this.partitioner = { partitions };
  }

  get dependencies(): readonly Dependency[] {
    return [];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<T[]> {
    // A copy of the kept array: operators downstream may reorder or grow the array they are given.
    return (await this.dataset.partition(partition, this.numPartitions, this.layout, ctx)).slice();
  }
}
