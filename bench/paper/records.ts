/**
 * The paper benchmarks' input: 100-byte text records over a 10,000-word vocabulary with Zipf-like word
 * frequencies, generated from a fixed seed into one buffer when this module loads. Every process that
 * runs tasks (the coordinator's and each worker thread) loads it and so holds the same bytes; nothing is
 * generated while a batch runs.
 */
import type { ByteLog } from '../../src/engine';

export const RECORD_BYTES = 100;
export const VOCABULARY_SIZE = 10_000;
/** Records in the pool; streams cycle through it (2^18 records, 26 MB per process). */
export const POOL_RECORDS = 1 << 18;
const MAX_WORD = 12;
const SEED = 0x5eed_2013;

/** xorshift32: small, seeded, the same sequence in every process. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Distinct lowercase words, ordered by rank; lengths 1-12 (each length present, for exact fills). */
function makeVocabulary(next: () => number): string[] {
  const words = new Set<string>();
  const word = (length: number) =>
    Array.from({ length }, () => String.fromCharCode(97 + Math.floor(next() * 26))).join('');
  while (words.size < VOCABULARY_SIZE) {
    // Short words are common in text; lengths 2-9 mostly, every length 1-12 possible.
    const length = words.size < MAX_WORD ? words.size + 1 : 2 + Math.floor(next() ** 1.5 * (MAX_WORD - 1));
    words.add(word(length));
  }
  const ranked = [...words];
  // The guaranteed lengths 1-12 were made first; spread them so they do not hold the top ranks.
  for (let i = ranked.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [ranked[i], ranked[j]] = [ranked[j], ranked[i]];
  }
  return ranked;
}

export const VOCABULARY: readonly string[] = makeVocabulary(random(SEED));

const ZIPF_TABLE_BITS = 20;

/**
 * Zipf (s = 1) sampling by table: entry i is the rank whose cumulative weight first reaches
 * (i + 0.5) / 2^20, so one random number picks a rank in O(1) (the rarest rank has weight ~1e-5).
 */
function zipfTable(n: number): Uint16Array {
  const size = 1 << ZIPF_TABLE_BITS;
  let total = 0;
  for (let rank = 0; rank < n; rank++) total += 1 / (rank + 1);
  const table = new Uint16Array(size);
  let rank = 0;
  let cumulative = 1 / total;
  for (let i = 0; i < size; i++) {
    const u = (i + 0.5) / size;
    while (cumulative < u && rank < n - 1) {
      rank++;
      cumulative += 1 / (rank + 1) / total;
    }
    table[i] = rank;
  }
  return table;
}

function generatePool(): Buffer {
  const next = random(SEED ^ 0x9e37_79b9);
  const table = zipfTable(VOCABULARY.length);
  const words = VOCABULARY.map((w) => Uint8Array.from(w, (c) => c.charCodeAt(0)));
  const byLength: Uint8Array[][] = Array.from({ length: MAX_WORD + 1 }, () => []);
  for (const w of words) byLength[w.length].push(w);
  const pool = new Uint8Array(POOL_RECORDS * RECORD_BYTES).fill(0x20);
  for (let r = 0; r < POOL_RECORDS; r++) {
    const start = r * RECORD_BYTES;
    let length = 0;
    while (length < RECORD_BYTES) {
      const room = RECORD_BYTES - length - (length > 0 ? 1 : 0);
      let w: Uint8Array;
      if (room <= MAX_WORD) {
        // The last word fills the record exactly (skewed towards the more frequent words of that length).
        const fits = byLength[room];
        w = fits[Math.floor(next() ** 3 * fits.length)];
      } else {
        // A word that would leave room for only the separator cannot be followed by another: draw again.
        do w = words[table[Math.floor(next() * table.length)]];
        while (room - w.length === 1);
      }
      if (length > 0) length++; // the separating space is already in the pool
      // Byte by byte: Buffer#copy costs more than a 5-byte word.
      for (let i = 0; i < w.length; i++) pool[start + length + i] = w[i];
      length += w.length;
    }
  }
  return Buffer.from(pool.buffer, pool.byteOffset, pool.byteLength);
}

/** Every record, back to back: record r is bytes [r * RECORD_BYTES, (r + 1) * RECORD_BYTES). */
export const POOL = generatePool();

const poolBuffer = POOL.buffer;
const poolOffset = POOL.byteOffset;

/** The pre-generated records as views into the pool (plain Uint8Array views: cheaper to make than Buffers). */
export const RECORDS: ByteLog = {
  length: POOL_RECORDS,
  at: (position) => new Uint8Array(poolBuffer, poolOffset + position * RECORD_BYTES, RECORD_BYTES),
};

/** Grep's pattern: a word of middling frequency (rank 300), matched as a substring like grep does. */
export const GREP_PATTERN = VOCABULARY[300];
