/**
 * The paper benchmarks' input: 100-byte text records over a 10,000-word vocabulary with Zipf-like word
 * frequencies, generated from a fixed seed into one buffer when this module loads. Every process that
 * runs tasks (the coordinator's and each worker thread) loads it and so holds the same bytes; nothing is
 * generated while a batch runs.
 */
import type { ByteLog } from '../../src/engine';

export const RECORD_BYTES = 100;
export const VOCABULARY_SIZE = 10_000;
/** Records in the pool; streams cycle through it (2^19 records, 52 MB per process). */
export const POOL_RECORDS = 1 << 19;
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

/** Cumulative Zipf (s = 1) weights of the ranks. */
function zipfCumulative(n: number): Float64Array {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let rank = 0; rank < n; rank++) {
    sum += 1 / (rank + 1);
    cumulative[rank] = sum;
  }
  for (let rank = 0; rank < n; rank++) cumulative[rank] /= sum;
  return cumulative;
}

function generatePool(): Buffer {
  const next = random(SEED ^ 0x9e37_79b9);
  const cumulative = zipfCumulative(VOCABULARY.length);
  const byLength: string[][] = Array.from({ length: MAX_WORD + 1 }, () => []);
  for (const w of VOCABULARY) byLength[w.length].push(w);
  const zipfWord = () => {
    const u = next();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return VOCABULARY[lo];
  };
  const pool = Buffer.alloc(POOL_RECORDS * RECORD_BYTES);
  for (let r = 0; r < POOL_RECORDS; r++) {
    let line = '';
    while (line.length < RECORD_BYTES) {
      const room = RECORD_BYTES - line.length - (line.length > 0 ? 1 : 0);
      let w: string;
      if (room <= MAX_WORD) {
        // The last word fills the record exactly (skewed towards the more frequent words of that length).
        const fits = byLength[room];
        w = fits[Math.floor(next() ** 3 * fits.length)];
      } else {
        // A word that would leave room for only the separator cannot be followed by another: draw again.
        do w = zipfWord();
        while (room - w.length === 1);
      }
      line = line.length > 0 ? `${line} ${w}` : w;
    }
    pool.write(line, r * RECORD_BYTES, 'latin1');
  }
  return pool;
}

const POOL = generatePool();

/** The pre-generated records as views into the pool. */
export const RECORDS: ByteLog = {
  length: POOL_RECORDS,
  at: (position) => POOL.subarray(position * RECORD_BYTES, (position + 1) * RECORD_BYTES),
};

/** Grep's pattern: a word of middling frequency (rank 300), matched as a substring like grep does. */
export const GREP_PATTERN = VOCABULARY[300];
