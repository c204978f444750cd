/**
 * The baselines: each workload as a bare single-threaded loop over the same records the engine reads
 * (same pool, same positions per batch). Two of each:
 * - `bytes` (the baseline of the ratio): the best loop we can write with the byte-level technique the
 *   engine's jobs use, and then some: records are read in place in the pool (no view per record), Grep
 *   searches each record's bytes, WordCount interns each word to a dense id and counts in an array.
 * - `strings`: decode every record with the strict decoder, `includes` or `split` and count in a Map.
 * The window adds the entering batch's counts and subtracts the leaving one's; TopK sorts the window.
 */
import { MemoryByteSource } from '../../src/engine';
import { utf8 } from '../../src/engine/io/decoders';
import { BytePattern } from '../../src/engine/util/bytes';
import { ByteKeyInterner } from '../../src/engine/util/bytes-interner';
import { GREP_PATTERN, POOL, RECORD_BYTES, RECORDS } from './records';
import { type Answer, type Api, TOP_K, topOf, type Workload } from './workloads';

const WINDOW_BATCHES = 30;
const SPACE = 0x20;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** One workload's loop state across batches; `batch(k)` processes batch k and returns its answer. */
export interface BareLoop {
  batch(batchIndex: number): Answer;
  /** WordCount and TopK: the word counts of the window after the last batch. */
  readonly window?: ReadonlyMap<string, number>;
}

export function bareLoop(
  workload: Workload,
  ratePerSecond: number,
  intervalMs = 1000,
  api: Api = 'bytes',
): BareLoop {
  const positions = (batchIndex: number) =>
    MemoryByteSource.positions(ratePerSecond, { batchIndex, batchTime: 0, intervalMs });
  if (workload === 'grep') {
    const matches = api === 'bytes' ? grepBytes() : grepStrings();
    return { batch: (batchIndex) => matches(...positions(batchIndex)) };
  }
  const countBatch = api === 'bytes' ? wordCountsBytes() : wordCountsStrings;
  const window = new Map<string, number>();
  const slices: Map<string, number>[] = [];
  return {
    window,
    batch(batchIndex) {
      const counts = countBatch(...positions(batchIndex));
      for (const [word, n] of counts) window.set(word, (window.get(word) ?? 0) + n);
      slices.push(counts);
      if (slices.length > WINDOW_BATCHES) {
        for (const [word, n] of slices.shift()!) {
          const left = window.get(word)! - n;
          if (left > 0) window.set(word, left);
          else window.delete(word);
        }
      }
      if (workload === 'topk') return topOf(window, TOP_K);
      return window.size;
    },
  };
}

function grepStrings() {
  return (first: number, end: number) => {
    let matches = 0;
    for (let p = first; p < end; p++) {
      if (utf8(records.at(p % records.length)).includes(GREP_PATTERN)) matches++;
    }
    return matches;
  };
}

// Module bindings compile to getters under tsx: the hot loops read the pool through a local.
const pool = POOL;
const records = RECORDS;

function grepBytes() {
  const pattern = new BytePattern(GREP_PATTERN);
  return (first: number, end: number) => {
    let matches = 0;
    for (let p = first; p < end; p++) {
      const start = (p % records.length) * RECORD_BYTES;
      if (pattern.indexIn(pool, start, start + RECORD_BYTES) >= 0) matches++;
    }
    return matches;
  };
}

function wordCountsStrings(first: number, end: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let p = first; p < end; p++) {
    for (const word of utf8(records.at(p % records.length)).split(' ')) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

/** Words interned to ids (a string only for a new word), counted in an array by id. */
function wordCountsBytes() {
  const interner = new ByteKeyInterner({ maxKeys: 1 << 20 });
  let counts = new Int32Array(1 << 14);
  const count = (start: number, end: number, hash: number) => {
    const id = interner.idOf(pool, start, end, hash);
    if (id >= counts.length) {
      const grown = new Int32Array(counts.length * 2);
      grown.set(counts);
      counts = grown;
    }
    counts[id]++;
  };
  return (first: number, end: number): Map<string, number> => {
    counts.fill(0);
    for (let p = first; p < end; p++) {
      const from = (p % records.length) * RECORD_BYTES;
      const to = from + RECORD_BYTES;
      let start = from;
      let hash = FNV_OFFSET;
      for (let i = from; i < to; i++) {
        const b = pool[i];
        if (b === SPACE) {
          count(start, i, hash);
          start = i + 1;
          hash = FNV_OFFSET;
        } else {
          hash = Math.imul(hash ^ b, FNV_PRIME);
        }
      }
      count(start, to, hash);
    }
    const batch = new Map<string, number>();
    for (let id = 0; id < interner.size; id++) if (counts[id] > 0) batch.set(interner.keyOf(id), counts[id]);
    return batch;
  };
}
