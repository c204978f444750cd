/**
 * Strings for byte slices, made once per distinct slice: an open-addressing table keyed by the slice's
 * bytes. Looking up a slice seen before costs a hash (computed by the caller while it scans) and one byte
 * comparison, and returns the same string object every time, whose own hash V8 has already cached, so a
 * Map keyed by it never hashes the string again.
 */
import { ConfigError } from './errors';

export interface ByteKeyInternerOptions {
  /** Distinct keys kept before the table starts over (bounds memory with unbounded key spaces). */
  maxKeys?: number;
}

const DEFAULT_MAX_KEYS = 1 << 16;
const FIRST_CAPACITY = 1 << 10;

// fatal: a key that is not valid UTF-8 fails its record; ignoreBOM: a BOM inside a record is data.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class ByteKeyInterner {
  private readonly maxKeys: number;
  /** Slot -> key id + 1 (0: empty). */
  private table = new Int32Array(FIRST_CAPACITY);
  private hashes = new Int32Array(FIRST_CAPACITY / 2);
  private starts = new Int32Array(FIRST_CAPACITY / 2);
  private lengths = new Int32Array(FIRST_CAPACITY / 2);
  private arena = new Uint8Array(FIRST_CAPACITY * 8);
  private arenaUsed = 0;
  private strings: string[] = [];

  constructor(options: ByteKeyInternerOptions = {}) {
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new ConfigError(`maxKeys must be a whole number >= 1, got ${maxKeys}`, { maxKeys });
    }
    this.maxKeys = maxKeys;
  }

  /** Distinct keys held now. */
  get size(): number {
    return this.strings.length;
  }

  /** The string of `bytes[start, end)`; `hash` is `hashBytes(bytes, start, end)` (see bytes.ts). */
  intern(bytes: Uint8Array, start: number, end: number, hash: number): string {
    // Not `this.strings[this.idOf(...)]`: idOf may start the table over, replacing `strings`.
    const id = this.idOf(bytes, start, end, hash);
    return this.strings[id];
  }

  /**
   * A dense number for `bytes[start, end)` (0, 1, 2 ... in order of first sight), for callers that count
   * in arrays; `keyOf(id)` is its string. Ids start over when the table does (at `maxKeys`).
   */
  idOf(bytes: Uint8Array, start: number, end: number, anyHash: number): number {
    const hash = anyHash | 0; // as the Int32Array stores it
    const length = end - start;
    const mask = this.table.length - 1;
    let slot = mix(hash) & mask;
    for (;;) {
      const id = this.table[slot] - 1;
      if (id < 0) return this.add(bytes, start, end, hash, slot);
      if (this.hashes[id] === hash && this.lengths[id] === length && this.sameBytes(id, bytes, start)) {
        return id;
      }
      slot = (slot + 1) & mask;
    }
  }

  private sameBytes(id: number, bytes: Uint8Array, start: number): boolean {
    const arena = this.arena;
    const from = this.starts[id];
    const length = this.lengths[id];
    for (let j = 0; j < length; j++) if (arena[from + j] !== bytes[start + j]) return false;
    return true;
  }

  /** The string of a key id. */
  keyOf(id: number): string {
    return this.strings[id];
  }

  private add(bytes: Uint8Array, start: number, end: number, hash: number, slot: number): number {
    // Decoded before anything is stored: an invalid key throws and leaves the table as it was.
    const text = strictUtf8.decode(bytes.subarray(start, end));
    if (this.strings.length >= this.maxKeys) {
      this.clear();
      return this.idOf(bytes, start, end, hash);
    }
    const id = this.strings.length;
    const length = end - start;
    if (id === this.hashes.length) this.growKeys();
    if (this.arenaUsed + length > this.arena.length) this.growArena(length);
    this.arena.set(bytes.subarray(start, end), this.arenaUsed);
    this.starts[id] = this.arenaUsed;
    this.lengths[id] = length;
    this.hashes[id] = hash;
    this.arenaUsed += length;
    this.strings.push(text);
    this.table[slot] = id + 1;
    // Half full at most, so probe runs stay short.
    if (this.strings.length * 2 > this.table.length) this.rehash();
    return id;
  }

  private clear(): void {
    this.table = new Int32Array(FIRST_CAPACITY);
    this.hashes = new Int32Array(FIRST_CAPACITY / 2);
    this.starts = new Int32Array(FIRST_CAPACITY / 2);
    this.lengths = new Int32Array(FIRST_CAPACITY / 2);
    this.arena = new Uint8Array(FIRST_CAPACITY * 8);
    this.arenaUsed = 0;
    this.strings = [];
  }

  private growKeys(): void {
    const grown = (old: Int32Array) => {
      const next = new Int32Array(old.length * 2);
      next.set(old);
      return next;
    };
    this.hashes = grown(this.hashes);
    this.starts = grown(this.starts);
    this.lengths = grown(this.lengths);
  }

  private growArena(needed: number): void {
    const next = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + needed));
    next.set(this.arena.subarray(0, this.arenaUsed));
    this.arena = next;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let id = 0; id < this.strings.length; id++) {
      let slot = mix(this.hashes[id]) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.table = table;
  }
}

/** FNV's low bits are weak for short keys: spread the high bits down before masking. */
function mix(hash: number): number {
  const h = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
  return h ^ (h >>> 16);
}
