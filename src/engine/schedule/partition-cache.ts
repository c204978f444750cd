import type { PersistedPart } from '../exec';
import type { Store } from '../io/ports';

interface CachedPart {
  time: number;
  bytes?: Uint8Array;
  stored: boolean;
}

/**
 * Persisted partitions (state, window slices, checkpoints) kept by the coordinator between batches, as
 * D-Streams keep them in memory: tasks send them back, and the tasks of the next batches get them in
 * their requests, so steady-state batches read no state from the store. Only checkpoints are saved (by
 * the coordinator, see checkpoint-writer.ts); what a lost coordinator held is recomputed from the last
 * checkpoint. Beyond `maxBytes` the
 * oldest partitions are written to the store and let go.
 */
export class PartitionCache {
  private readonly parts = new Map<string, CachedPart>();
  private heldBytes = 0;

  constructor(
    private readonly store: Store,
    private readonly maxBytes = 512 * 1024 * 1024,
  ) {}

  record(parts: readonly PersistedPart[]): void {
    for (const part of parts) {
      const previous = this.parts.get(part.key);
      // A stored copy stays known even if a later task (a speculative copy) only sent bytes.
      const stored = part.stored || (previous?.stored ?? false);
      this.heldBytes -= previous?.bytes?.length ?? 0;
      this.parts.set(part.key, { time: part.time, bytes: part.bytes ?? previous?.bytes, stored });
      this.heldBytes += this.parts.get(part.key)!.bytes?.length ?? 0;
    }
  }

  /** Marks keys found in the store. */
  recordStored(keys: readonly string[], time: number): void {
    for (const key of keys) {
      const part = this.parts.get(key);
      if (part) part.stored = true;
      else this.parts.set(key, { time, stored: true });
    }
  }

  /** Forgets partitions found missing from the store. */
  drop(keys: readonly string[]): void {
    for (const key of keys) {
      this.heldBytes -= this.parts.get(key)?.bytes?.length ?? 0;
      this.parts.delete(key);
    }
  }

  /** The partition's bytes, null when only the store has it, undefined when unknown. */
  lookup(key: string): Uint8Array | null | undefined {
    const part = this.parts.get(key);
    if (!part) return undefined;
    return part.bytes ?? (part.stored ? null : undefined);
  }

  /** Whether the partition is known to be in the store. */
  isStored(key: string): boolean {
    return this.parts.get(key)?.stored ?? false;
  }

  has(key: string): boolean {
    return this.lookup(key) !== undefined;
  }

  /** Writes a held partition to the store so a request can name it instead of carrying it. */
  async spill(key: string): Promise<void> {
    const part = this.parts.get(key);
    if (!part?.bytes || part.stored) return;
    await this.store.put(key, part.bytes);
    part.stored = true;
  }

  /**
   * Lets the held copies of the chosen partitions go, as if the memory holding them was lost: a copy in
   * the store (a checkpoint) stays known, the rest is recomputed from lineage when a batch needs it.
   * Returns the keys let go. `partition` is the key's last segment.
   */
  forgetHeld(which: (partition: number, key: string) => boolean): string[] {
    const forgotten: string[] = [];
    for (const [key, part] of this.parts) {
      if (!part.bytes || !which(Number(key.split('/').pop()), key)) continue;
      this.heldBytes -= part.bytes.length;
      forgotten.push(key);
      if (part.stored) part.bytes = undefined;
      else this.parts.delete(key);
    }
    return forgotten;
  }

  /** Lets partitions of `time` and later go (left by an attempt of a batch that is run again). */
  forgetFrom(time: number): void {
    this.forgetWhere((partTime) => partTime >= time);
  }

  /** Lets partitions of batches before `time` go (the cleaner deletes their stored copies). */
  forgetBefore(time: number): void {
    this.forgetWhere((partTime) => partTime < time);
  }

  private forgetWhere(forget: (time: number) => boolean): void {
    for (const [key, part] of this.parts) {
      if (!forget(part.time)) continue;
      this.heldBytes -= part.bytes?.length ?? 0;
      this.parts.delete(key);
    }
  }

  /**
   * Keeps what is held within the bound: oldest first, saved to the store before being let go, so
   * nothing needs recomputing. `spilled` hears the batch time of each partition written.
   */
  async bound(spilled: (time: number) => void = () => undefined): Promise<void> {
    if (this.heldBytes <= this.maxBytes) return;
    const oldestFirst = [...this.parts].filter(([, p]) => p.bytes).sort((a, b) => a[1].time - b[1].time);
    for (const [key, part] of oldestFirst) {
      if (this.heldBytes <= this.maxBytes) return;
      if (!part.stored) {
        await this.spill(key);
        spilled(part.time);
      }
      this.heldBytes -= part.bytes!.length;
      part.bytes = undefined;
    }
  }
}
