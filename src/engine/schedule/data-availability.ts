import { readPackedCheckpoint } from '../exec/checkpoint-pack';
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
    if (keys.every((key) => this.cache.lookup(key))) return true;
    // This batch's data is only in the store if this coordinator saw it written.
    if (node.time >= this.batchTime) return keys.every((key) => this.cache.has(key));
    let answer = this.known.get(node.id);
    if (!answer) {
      // What only the store has (spilled, or written by an earlier coordinator) may have been lost there.
      const unheld = keys.filter((key) => !this.cache.lookup(key));
      answer = this.allStored(node, unheld).then((present) => {
        if (present) this.cache.recordStored(unheld, node.time);
        else {
          // Recomputed from lineage: nothing may name the lost copies any more.
          this.cache.drop(unheld);
          this.lost.push(`${node.operator} ${node.id}`);
        }
        return present;
      });
      this.known.set(node.id, answer);
    }
    return answer;
  }

  missingMapOutputs(dep: ShuffleDependency): Promise<number[]> {
    if (dep.time >= this.batchTime) return Promise.resolve(this.outputs.unknown(dep));
    // Of an earlier batch: what only the store has may have been lost there.
    const unknown = this.outputs.unheld(dep);
    if (unknown.length === 0) return Promise.resolve([]);
    let missing = this.missing.get(dep.id);
    if (!missing) {
      missing = Promise.all(unknown.map((m) => this.store.has(shuffleFileKey(dep, m)))).then((present) => {
        this.outputs.recordStored(
          dep,
          unknown.filter((_, i) => present[i]),
        );
        const absent = unknown.filter((_, i) => !present[i]);
        this.outputs.drop(dep, absent);
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

  private async allStored(node: LineageNode<unknown>, keys: readonly string[]): Promise<boolean> {
    const present = await Promise.all(keys.map((key) => this.store.has(key)));
    if (present.every(Boolean)) return true;
    if (node.checkpointOf === undefined) return false;
    // A small checkpoint was saved as one object: its partitions come back to be held and shipped.
    const packed = await readPackedCheckpoint(this.store, node.time);
    const absent = keys.filter((_, i) => !present[i]);
    if (!absent.every((key) => packed.has(key))) return false;
    this.cache.record(absent.map((key) => ({ key, time: node.time, stored: false, bytes: packed.get(key) })));
    return true;
  }
}
