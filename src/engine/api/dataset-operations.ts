import { InvalidGraphError } from '../graph';
import { BroadcastJoinNode, type BroadcastTable, checkPartitions, type Pair, RDD } from '../plan';
import type { Dataset } from './dataset';
import { type DStream, transformed } from './dstream-base';

export interface JoinDatasetOptions {
  /** Partitions of the join (default: the dataset's); the dataset is partitioned this way once per process. */
  partitions?: number;
  /**
   * Every task holds the whole dataset (read once per process) and joins map-side: nothing is shuffled,
   * not even the stream. For small tables.
   */
  broadcast?: boolean;
}

/** Joins of a pair stream with a job-level pair dataset (a reference table, history). */
export class DatasetOperations {
  /** `[key, [stream value, dataset value]]` for every key in both, every batch. */
  joinDataset<K, V, W>(
    this: DStream<Pair<K, V>>,
    dataset: Dataset<Pair<K, W>>,
    options: JoinDatasetOptions = {},
  ): DStream<Pair<K, [V, W]>> {
    return joinedWithDataset(this, 'joinDataset', dataset, options, false) as DStream<Pair<K, [V, W]>>;
  }

  /** Every stream pair, with its dataset values or `null` when the dataset has none for the key. */
  leftOuterJoinDataset<K, V, W>(
    this: DStream<Pair<K, V>>,
    dataset: Dataset<Pair<K, W>>,
    options: JoinDatasetOptions = {},
  ): DStream<Pair<K, [V, W | null]>> {
    return joinedWithDataset(this, 'leftOuterJoinDataset', dataset, options, true);
  }
}

function joinedWithDataset<K, V, W>(
  stream: DStream<Pair<K, V>>,
  operator: string,
  dataset: Dataset<Pair<K, W>>,
  options: JoinDatasetOptions,
  outer: boolean,
): DStream<Pair<K, [V, W | null]>> {
  if (!stream.context.datasets.datasets.includes(dataset as Dataset<unknown>)) {
    throw new InvalidGraphError(
      `${operator}: the dataset was not created by this stream's context; create it with ssc.dataset() or ssc.parallelize() of the same context, which records it when the job starts`,
      { operator },
    );
  }
  if (options.broadcast) {
    return transformed(
      stream,
      operator,
      (rdd) =>
        new RDD(
          new BroadcastJoinNode<K, V, W>(operator, rdd.node, dataset as unknown as BroadcastTable<W>, outer),
          rdd.runner,
        ),
    );
  }
  const partitions = options.partitions ?? dataset.numPartitions;
  checkPartitions(partitions, operator);
  return transformed(stream, operator, (rdd) => {
    // Hash-partitioned like the join, so only the stream's side is shuffled.
    const table = dataset.keyedRdd(partitions);
    return outer ? rdd.leftOuterJoin(table, partitions) : rdd.join(table, partitions);
  });
}
