import { keyIdentity } from '../../util/hash';
import { type Dependency, LineageNode, narrow, type TaskContext } from '../lineage';

/** A whole pair table indexed by key identity, held by every process that joins with it. */
export interface BroadcastTable<W> {
  readonly name: string;
  index(ctx: TaskContext): Promise<ReadonlyMap<unknown, readonly W[]>>;
}

/**
 * A map-side join: each partition of the pair parent looks its keys up in a table every task holds
 * whole, so neither side is shuffled. Rows come out in the parent's order (matches in table order), and
 * the parent's partitioning is kept. `keepMissing` makes it a left outer join (`null` for no match).
 */
export class BroadcastJoinNode<K, V, W> extends LineageNode<[K, [V, W | null]]> {
  constructor(
    operator: string,
    readonly parent: LineageNode<[K, V]>,
    private readonly table: BroadcastTable<W>,
    private readonly keepMissing: boolean,
  ) {
    super(operator, parent.numPartitions);
    this.partitioner = parent.partitioner;
  }

  get dependencies(): readonly Dependency[] {
    return [narrow(this.parent as LineageNode<unknown>)];
  }

  protected async computePartition(partition: number, ctx: TaskContext): Promise<[K, [V, W | null]][]> {
    const [rows, index] = await Promise.all([this.parent.compute(partition, ctx), this.table.index(ctx)]);
    const out: [K, [V, W | null]][] = [];
    for (const [key, value] of rows) {
      const matches = index.get(keyIdentity(key));
      if (matches) for (const match of matches) out.push([key, [value, match]]);
      else if (this.keepMissing) out.push([key, [value, null]]);
    }
    return out;
  }
}
