import type { Store } from '../io/ports';
import { type LineageNode, type ShuffleDependency, shuffleFileKey, storedPartKey } from '../plan';
import type { MapOutputTracker } from './map-output-tracker';
import type { PartitionCache } from './partition-cache';
import type { Availability } from './stages';

/**
 * What exists of the data a batch's stages need, so planning recomputes only what is missing (Spark's
 * "missing parent stages"). What the coordinator holds needs no request; data of this batch that it does
 * not hold does not exist yet; data of earlier batches it does not hold is looked up in the store once
 * per batch, and what is missing there is reported in `lost` and recomputed from lineage.
 */
export class DataAvailability implements Availability {
  /** Data of earlier batches found missing while planning this one. */
  readonly lost: string[] = [];
  private readonly known = new Map<string, Promise<boolean>>();
  private readonly missing = new Map<string, Promise<number[]>>();

  constructor(
    private readonly batchTime: number,
    private readonly store: Store,
    private readonly cache: PartitionCache,
    private readonly outputs: MapOutputTracker,
  ) {}

  async isMaterialized(node: LineageNode<unknown>): Promise<boolean> {
    const keys = Array.from({ length: node.numPartitions }, (_, p) => storedPartKey(node, p));
    if (keys.every((key) => this.cache.has(key))) return true;
    if (node.time >= this.batchTime) return false;
    let answer = this.known.get(node.id);
    if (!answer) {
      answer = this.allStored(keys).then((present) => {
        if (present) this.cache.recordStored(keys, node.time);
        else this.lost.push(`${node.operator} ${node.id}`);
        return present;
      });
      this.known.set(node.id, answer);
    }
    return answer;
  }

  missingMapOutputs(dep: ShuffleDependency): Promise<number[]> {
    const unknown = this.outputs.unknown(dep);
    if (unknown.length === 0 || dep.time >= this.batchTime) return Promise.resolve(unknown);
    let missing = this.missing.get(dep.id);
    if (!missing) {
      missing = Promise.all(unknown.map((m) => this.store.has(shuffleFileKey(dep, m)))).then((present) => {
        this.outputs.recordStored(
          dep,
          unknown.filter((_, i) => present[i]),
        );
        const absent = unknown.filter((_, i) => !present[i]);
        if (absent.length > 0) {
          const all = dep.parent.numPartitions;
          this.lost.push(`shuffle of ${dep.operator} ${dep.id} (${absent.length} of ${all} map outputs)`);
        }
        return absent;
      });
      this.missing.set(dep.id, missing);
    }
    return missing;
  }

  private async allStored(keys: readonly string[]): Promise<boolean> {
    const present = await Promise.all(keys.map((key) => this.store.has(key)));
    return present.every(Boolean);
  }
}
