import { keyIdentity } from '../../util/hash';
import { UserFunctionError } from '../errors';
import {
  type Aggregator,
  type Dependency,
  LineageNode,
  type ShuffleDependency,
  type TaskContext,
} from '../lineage';

export interface ShuffleOptions<V, C> {
  partitions: number;
  partitionBy: 'hash' | 'roundRobin';
  /** Merge values per key on the reduce side (and on the map side too when `mapSideCombine`). */
  aggregator?: Aggregator<V, C>;
  mapSideCombine?: boolean;
}

export function makeShuffleDependency(
  owner: LineageNode<unknown>,
  index: number,
  parent: LineageNode<unknown>,
  options: {
    partitions: number;
    partitionBy: 'hash' | 'roundRobin';
    mapSideCombine?: Aggregator<any, any>;
    /** Names the file layout when it differs from plain rows, so files of another layout are never read. */
    layout?: string;
  },
): ShuffleDependency {
  const layout = options.layout ? `.${options.layout}` : '';
  return {
    kind: 'shuffle',
    id: `${owner.id}~${index}`,
    keyName: `${owner.keyName}~${index}${layout}`,
    time: owner.time,
    parent,
    partitions: options.partitions,
    partitionBy: options.partitionBy,
    mapSideCombine: options.mapSideCombine,
    operator: owner.operator,
  };
}

/** The reduce side of a shuffle: reads its bucket from every map task and merges values per key. */
export class ShuffledNode<T> extends LineageNode<T> {
  readonly shuffle: ShuffleDependency;

  constructor(
    operator: string,
    parent: LineageNode<unknown>,
    readonly options: ShuffleOptions<unknown, unknown>,
  ) {
    super(operator, options.partitions);
    const combineOnMapSide = options.aggregator && options.mapSideCombine ? options.aggregator : undefined;
    this.shuffle = makeShuffleDependency(this, 0, parent, { ...options, mapSideCombine: combineOnMapSide });
    if (options.partitionBy === 'hash') this.partitioner = { partitions: options.partitions };
  }

  get dependencies(): readonly Dependency[] {
    return [this.shuffle];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<T[]> {
    const segments = await ctx.readShuffle(this.shuffle, partition);
    const aggregator = this.options.aggregator;
    if (!aggregator) return segments.length === 1 ? (segments[0] as T[]) : (segments.flat() as T[]);
    const merging: { key?: unknown } = {};
    try {
      return mergeByKey(
        segments as [unknown, unknown][][],
        aggregator,
        this.shuffle.mapSideCombine !== undefined,
        merging,
      );
    } catch (error) {
      // No single input record to blame on the reduce side: name the key being merged instead.
      throw new UserFunctionError(this.operator, this.id, partition, error, merging.key);
    }
  }
}

function mergeByKey<V, C>(
  segments: [unknown, unknown][][],
  aggregator: Aggregator<V, C>,
  rowsAreCombiners: boolean,
  /** Holds the key being merged, so an error can name it. */
  merging: { key?: unknown },
): any[] {
  const merged = new Map<unknown, [unknown, C]>();
  for (const rows of segments) {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      merging.key = row[0];
      const id = keyIdentity(row[0]);
      const entry = merged.get(id);
      if (entry === undefined) {
        const combiner = rowsAreCombiners ? (row[1] as C) : aggregator.createCombiner(row[1] as V);
        merged.set(id, [row[0], combiner]);
      } else if (rowsAreCombiners) {
        entry[1] = aggregator.mergeCombiners(entry[1], row[1] as C);
      } else {
        entry[1] = aggregator.mergeValue(entry[1], row[1] as V);
      }
    }
  }
  return Array.from(merged.values());
}
