import type { MapOutput } from '../exec';
import type { Store } from '../io/ports';
import { type ShuffleDependency, shuffleFileKey } from '../plan';

/** Where one map output is: held here (sent back by its task) or in the store, with segment offsets. */
interface TrackedOutput {
  offsets?: number[];
  bytes?: Uint8Array;
}

/**
 * The map outputs of recent shuffles (Spark's MapOutputTracker). Outputs small enough come back in
 * their task's result and are held here, so reducers get their segments in their requests and no
 * shuffle byte touches the store; larger ones are in the store, and knowing their offsets lets a reducer
 * read just its segment. Held bytes are bounded: the oldest are dropped first (they are recomputed from
 * lineage if a later batch ever needs them). A coordinator that restarts starts empty.
 */
export class MapOutputTracker {
  private readonly byShuffle = new Map<string, { time: number; outputs: (TrackedOutput | undefined)[] }>();
  private heldBytes = 0;

  constructor(private readonly maxHeldBytes = 256 * 1024 * 1024) {}

  /** Records what the map tasks that just (re)ran `partitions` of `dep` sent back. */
  record(dep: ShuffleDependency, partitions: readonly number[], outputs: readonly (MapOutput | undefined)[]) {
    const entry = this.entryOf(dep);
    partitions.forEach((partition, i) => {
      const output = outputs[i];
      this.release(entry.outputs[partition]);
      entry.outputs[partition] = output ? { offsets: output.offsets, bytes: output.bytes } : undefined;
      this.heldBytes += output?.bytes?.length ?? 0;
    });
    this.bound();
  }

  /** Map outputs found in the store (offsets unknown until a reducer reads the header). */
  recordStored(dep: ShuffleDependency, partitions: readonly number[]): void {
    const entry = this.entryOf(dep);
    for (const partition of partitions) entry.outputs[partition] ??= {};
  }

  /** Map partitions of `dep` this tracker knows nothing about (all of them when it never saw `dep`). */
  unknown(dep: ShuffleDependency): number[] {
    const outputs = this.byShuffle.get(dep.id)?.outputs;
    return Array.from({ length: dep.parent.numPartitions }, (_, m) => m).filter((m) => !outputs?.[m]);
  }

  /** Forgets outputs found missing from the store. */
  drop(dep: ShuffleDependency, partitions: readonly number[]): void {
    const outputs = this.byShuffle.get(dep.id)?.outputs;
    if (!outputs) return;
    for (const partition of partitions) {
      this.release(outputs[partition]);
      outputs[partition] = undefined;
    }
  }

  /** Map partitions of `dep` whose output is not held here (in the store, or unknown). */
  unheld(dep: ShuffleDependency): number[] {
    const outputs = this.byShuffle.get(dep.id)?.outputs;
    return Array.from({ length: dep.parent.numPartitions }, (_, m) => m).filter((m) => !outputs?.[m]?.bytes);
  }

  /** Reducer `partition`'s segment of every held output (null: read it from the store), if any is held. */
  segmentsFor(shuffleId: string, partition: number): (Uint8Array | null)[] | undefined {
    const outputs = this.byShuffle.get(shuffleId)?.outputs;
    if (!outputs?.some((o) => o?.bytes)) return undefined;
    return outputs.map((o) =>
      o?.bytes && o.offsets ? o.bytes.subarray(o.offsets[partition], o.offsets[partition + 1]) : null,
    );
  }

  /** Offsets of every output in the store, when all are known (so reducers skip reading headers). */
  offsetsOf(shuffleId: string): number[][] | undefined {
    const outputs = this.byShuffle.get(shuffleId)?.outputs;
    if (!outputs || outputs.some((o) => !o?.offsets)) return undefined;
    return outputs.map((o) => o!.offsets!);
  }

  /** Writes a held output to the store (a reducer's request would be too big with it); its size. */
  async spill(shuffle: ShuffleDependency, mapPartition: number, store: Store): Promise<number> {
    const output = this.byShuffle.get(shuffle.id)?.outputs[mapPartition];
    if (!output?.bytes) return 0;
    const size = output.bytes.length;
    await store.put(shuffleFileKey(shuffle, mapPartition), output.bytes);
    this.release(output);
    output.bytes = undefined;
    return size;
  }

  /** Size of a held output, 0 when it is in the store. */
  heldSize(shuffleId: string, mapPartition: number): number {
    return this.byShuffle.get(shuffleId)?.outputs[mapPartition]?.bytes?.length ?? 0;
  }

  /**
   * Lets the held outputs of the chosen map partitions go, as if the memory holding them was lost:
   * outputs in the store stay known, the rest is recomputed from lineage if a reducer still needs it.
   * Returns how many outputs were let go.
   */
  forgetHeld(which: (mapPartition: number) => boolean): number {
    let forgotten = 0;
    for (const { outputs } of this.byShuffle.values()) {
      outputs.forEach((output, m) => {
        if (!output?.bytes || !which(m)) return;
        this.release(output);
        outputs[m] = undefined;
        forgotten++;
      });
    }
    return forgotten;
  }

  /** Drops shuffles of `time` and later (left by an attempt of a batch that is run again). */
  forgetFrom(time: number): void {
    this.forgetWhere((shuffleTime) => shuffleTime >= time);
  }

  /** Drops shuffles of batches before `time` (their files are garbage-collected). */
  forgetBefore(time: number): void {
    this.forgetWhere((shuffleTime) => shuffleTime < time);
  }

  private forgetWhere(forget: (time: number) => boolean): void {
    for (const [id, entry] of this.byShuffle) {
      if (!forget(entry.time)) continue;
      for (const output of entry.outputs) this.release(output);
      this.byShuffle.delete(id);
    }
  }

  private entryOf(dep: ShuffleDependency) {
    let entry = this.byShuffle.get(dep.id);
    if (!entry) {
      entry = { time: dep.time, outputs: new Array(dep.parent.numPartitions).fill(undefined) };
      this.byShuffle.set(dep.id, entry);
    }
    return entry;
  }

  private release(output: TrackedOutput | undefined): void {
    this.heldBytes -= output?.bytes?.length ?? 0;
  }

  /**
   * Oldest shuffles first: forgetting one only costs a recomputation if a later batch needs it. The
   * newest batch's are kept whatever their size: its reducers are about to read them, and dropping them
   * would only make the map tasks run again (large ones are spilled per request, see ExchangePolicy).
   */
  private bound(): void {
    if (this.heldBytes <= this.maxHeldBytes) return;
    const oldestFirst = [...this.byShuffle].sort((a, b) => a[1].time - b[1].time);
    const newest = oldestFirst[oldestFirst.length - 1][1].time;
    for (const [id, entry] of oldestFirst) {
      if (this.heldBytes <= this.maxHeldBytes || entry.time === newest) return;
      if (!entry.outputs.some((o) => o?.bytes)) continue;
      for (const output of entry.outputs) this.release(output);
      this.byShuffle.delete(id);
    }
  }
}
