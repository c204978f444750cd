import { keyIdentity } from '../../util/hash';
import { type Dependency, LineageNode, narrow, samePartitioning, type TaskContext } from '../lineage';
import { makeShuffleDependency } from './shuffled-node';

/**
 * Groups several pair datasets by key: `[key, [values of parent 0, values of parent 1, ...]]`.
 * Parents already hash-partitioned the same way are read partition by partition (no shuffle), which is
 * what keeps incremental windows and state updates cheap.
 */
export class CoGroupedNode<K> extends LineageNode<[K, unknown[][]]> {
  readonly sides: Dependency[];

  constructor(parents: readonly LineageNode<[K, unknown]>[], partitions: number, operator = 'cogroup') {
    super(operator, partitions);
    this.partitioner = { partitions };
    this.sides = parents.map((parent, i) =>
      samePartitioning(parent.partitioner, this.partitioner)
        ? narrow(parent as LineageNode<unknown>)
        : makeShuffleDependency(this, i, parent as LineageNode<unknown>, { partitions, partitionBy: 'hash' }),
    );
  }

  get dependencies(): readonly Dependency[] {
    return this.sides;
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<[K, unknown[][]][]> {
    const width = this.sides.length;
    const groups = new Map<unknown, [K, unknown[][]]>();
    const inputs = await Promise.all(
      this.sides.map(async (side) =>
        side.kind === 'shuffle'
          ? ((await ctx.readShuffle(side, partition)) as [K, unknown][][])
          : [(await side.parent.compute(partition, ctx)) as [K, unknown][]],
      ),
    );
    for (let side = 0; side < width; side++) {
      for (const rows of inputs[side]) {
        for (const [key, value] of rows) {
          const id = keyIdentity(key);
          let group = groups.get(id);
          if (group === undefined) {
            group = [key, Array.from({ length: width }, () => [])];
            groups.set(id, group);
          }
          group[1][side].push(value);
        }
      }
    }
    return Array.from(groups.values());
  }
}
