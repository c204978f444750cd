/** The bare single-threaded loops: the workloads' computation on the same records, no engine. */
import type { Workload } from './job';
import { GREP_PATTERN, recordAt, WINDOW_BATCHES } from './records';

export interface BareRun {
  /** Processes batch `batch` (records [batch * n, (batch + 1) * n)) and returns its result size. */
  batch(batch: number, recordsPerBatch: number): number;
}

export function bareLoop(workload: Workload): BareRun {
  if (workload === 'grep') {
    return {
      batch(batch, n) {
        let hits = 0;
        for (let i = batch * n; i < (batch + 1) * n; i++) if (recordAt(i).includes(GREP_PATTERN)) hits++;
        return hits;
      },
    };
  }
  if (workload === 'wordcount') return { batch: (batch, n) => countWords(batch, n).size };
  // The window: per-batch counts kept for 30 batches, added when they enter and subtracted when they leave.
  const window = new Map<string, number>();
  const slices: Map<string, number>[] = [];
  return {
    batch(batch, n) {
      const entering = countWords(batch, n);
      slices.push(entering);
      for (const [word, count] of entering) window.set(word, (window.get(word) ?? 0) + count);
      if (slices.length > WINDOW_BATCHES) {
        for (const [word, count] of slices.shift()!) {
          const left = window.get(word)! - count;
          if (left === 0) window.delete(word);
          else window.set(word, left);
        }
      }
      return window.size;
    },
  };
}

function countWords(batch: number, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = batch * n; i < (batch + 1) * n; i++) {
    const words = recordAt(i).split(' ');
    for (let w = 0; w < words.length; w++) counts.set(words[w], (counts.get(words[w]) ?? 0) + 1);
  }
  return counts;
}
