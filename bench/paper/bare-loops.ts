/**
 * The baseline: each workload as a bare single-threaded loop over the same records the engine reads
 * (same pool, same positions per batch, same decoder): decode -> split -> count in a Map; the window by
 * adding the entering batch's counts and subtracting the leaving one's; TopK on top of the window.
 */
import { MemoryByteSource } from '../../src/engine';
import { utf8 } from '../../src/engine/io/decoders';
import { GREP_PATTERN, RECORDS } from './records';
import { type Answer, TOP_K, topOf, type Workload } from './workloads';

const WINDOW_BATCHES = 30;

/** One workload's loop state across batches; `batch(k)` processes batch k and returns its answer. */
export interface BareLoop {
  batch(batchIndex: number): Answer;
  /** WordCount and TopK: the word counts of the window after the last batch. */
  readonly window?: ReadonlyMap<string, number>;
}

export function bareLoop(workload: Workload, ratePerSecond: number, intervalMs = 1000): BareLoop {
  const positions = (batchIndex: number) =>
    MemoryByteSource.positions(ratePerSecond, { batchIndex, batchTime: 0, intervalMs });
  if (workload === 'grep') {
    return {
      batch(batchIndex) {
        const [first, end] = positions(batchIndex);
        let matches = 0;
        for (let p = first; p < end; p++) {
          if (utf8(RECORDS.at(p % RECORDS.length)).includes(GREP_PATTERN)) matches++;
        }
        return matches;
      },
    };
  }
  const window = new Map<string, number>();
  const slices: Map<string, number>[] = [];
  return {
    window,
    batch(batchIndex) {
      const [first, end] = positions(batchIndex);
      const counts = new Map<string, number>();
      for (let p = first; p < end; p++) {
        for (const word of utf8(RECORDS.at(p % RECORDS.length)).split(' ')) {
          counts.set(word, (counts.get(word) ?? 0) + 1);
        }
      }
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
