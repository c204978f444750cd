/**
 * The profiling workloads' input: 100-byte text records drawn from a 10,000-word vocabulary, generated
 * once per process before anything is timed, so engine and bare loop read the very same strings.
 */

export const VOCABULARY_SIZE = 10_000;
export const RECORD_BYTES = 100;
/** Distinct records; a stream cycles through them. */
const DISTINCT_RECORDS = 100_000;

/** xorshift32: deterministic, so every process (and every worker) makes the same records. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

function makeVocabulary(): string[][] {
  const next = random(7);
  const byLength: string[][] = Array.from({ length: 16 }, () => []);
  const seen = new Set<string>();
  // At least one word of every length 2..15, so a record can always be filled to exactly 100 bytes.
  for (let length = 2; length <= 15; length++) add(length);
  while (seen.size < VOCABULARY_SIZE) add(3 + Math.floor(next() * 8));
  return byLength;

  function add(length: number) {
    let word = '';
    do {
      word = '';
      for (let i = 0; i < length; i++) word += String.fromCharCode(97 + Math.floor(next() * 26));
    } while (seen.has(word));
    seen.add(word);
    byLength[length].push(word);
  }
}

const byLength = makeVocabulary();
export const VOCABULARY: readonly string[] = byLength.flat();

function makeRecord(next: () => number): string {
  let line = VOCABULARY[Math.floor(next() * VOCABULARY.length)];
  while (line.length < RECORD_BYTES) {
    const remaining = RECORD_BYTES - line.length;
    const word = VOCABULARY[Math.floor(next() * VOCABULARY.length)];
    if (remaining - 1 - word.length >= 3) {
      line += ` ${word}`;
    } else if (remaining - 1 < byLength.length) {
      // The last word fills the record exactly.
      const fillers = byLength[remaining - 1];
      line += ` ${fillers[Math.floor(next() * fillers.length)]}`;
    }
  }
  return line;
}

function makeRecords(): string[] {
  const next = random(11);
  return Array.from({ length: DISTINCT_RECORDS }, () => makeRecord(next));
}

export const RECORDS: readonly string[] = makeRecords();

/** The record at a stream position. */
export function recordAt(index: number): string {
  return RECORDS[index % RECORDS.length];
}

/** A vocabulary word Grep looks for (about 1% of records contain it as a word or inside one). */
export const GREP_PATTERN = VOCABULARY[4242];

export const WINDOW_BATCHES = 30;
