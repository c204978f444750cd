import type { ShuffleDependency } from '../plan';

/**
 * Segment offsets of the shuffle files the coordinator has seen written, kept across batches while the
 * files may still be read. Tasks given a file's offsets read just their segment instead of reading the
 * file's header first; that matters most when a lost state or window chain is recomputed, reading a
 * shuffle of every batch back to the checkpoint. A coordinator that restarts starts empty and reducers
 * fall back to reading headers.
 */
export class ShuffleOffsets {
  private readonly byShuffle = new Map<string, { time: number; offsets: (number[] | undefined)[] }>();

  /** Offsets of every map output of `shuffleId`, or undefined unless all of them are known. */
  get(shuffleId: string): number[][] | undefined {
    const entry = this.byShuffle.get(shuffleId);
    if (!entry || entry.offsets.some((o) => o === undefined)) return undefined;
    return entry.offsets as number[][];
  }

  /** Records the offsets reported by the map tasks that just (re)wrote `partitions` of `dep`. */
  record(dep: ShuffleDependency, partitions: readonly number[], offsets: readonly number[][]): void {
    let entry = this.byShuffle.get(dep.id);
    if (!entry) {
      entry = { time: dep.time, offsets: new Array(dep.parent.numPartitions).fill(undefined) };
      this.byShuffle.set(dep.id, entry);
    }
    partitions.forEach((partition, i) => {
      entry.offsets[partition] = offsets[i];
    });
  }

  /** All complete entries, for a task context that may read any of them. */
  all(): Record<string, number[][]> {
    const known: Record<string, number[][]> = {};
    for (const id of this.byShuffle.keys()) {
      const offsets = this.get(id);
      if (offsets) known[id] = offsets;
    }
    return known;
  }

  /** Drops shuffles of batches before `time` (their files are garbage-collected). */
  forgetBefore(time: number): void {
    for (const [id, entry] of this.byShuffle) if (entry.time < time) this.byShuffle.delete(id);
  }
}
