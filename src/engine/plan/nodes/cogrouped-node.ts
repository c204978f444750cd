import { keyIdentity } from '../../util/hash';
import { type Dependency, LineageNode, type ShuffleDependency, type TaskContext } from '../lineage';
import { makeShuffleDependency } from './shuffled-node';

/** Groups several pair datasets by key: `[key, [values of parent 0, values of parent 1, ...]]`. */
export class CoGroupedNode<K> extends LineageNode<[K, unknown[][]]> {
  readonly shuffles: ShuffleDependency[];

  constructor(parents: readonly LineageNode<[K, unknown]>[], partitions: number, operator = 'cogroup') {
    super(operator, partitions);
    this.shuffles = parents.map((parent, i) =>
      makeShuffleDependency(this, i, parent as LineageNode<unknown>, { partitions, partitionBy: 'hash' }),
    );
  }

  get dependencies(): readonly Dependency[] {
    return this.shuffles;
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<[K, unknown[][]][]> {
    const width = this.shuffles.length;
    const groups = new Map<unknown, [K, unknown[][]]>();
    for (let side = 0; side < width; side++) {
      const segments = (await ctx.readShuffle(this.shuffles[side], partition)) as [K, unknown][][];
      for (const rows of segments) {
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
