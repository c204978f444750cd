/**
 * Whether a rate is sustainable, from batches run back to back: replay the measured processing times
 * on a real-time schedule (batch k's data is complete at k intervals; it starts then, or when the
 * previous batch ends if that is later) to get each batch's scheduling delay and latency.
 */

export interface Verdict {
  sustainable: boolean;
  /** Batch processing time + scheduling delay, per batch. */
  latencyMs: number[];
  maxDelayMs: number;
  /** Batches whose processing time exceeded the interval. */
  overInterval: number;
}

/**
 * Sustainable when the scheduling delay never exceeds half an interval (it does not build up) and at
 * most one batch in 30 takes longer than the interval (a lone GC pause or noisy neighbour is absorbed
 * by the next batches; a trend is not).
 */
export function judge(processingMs: readonly number[], intervalMs: number): Verdict {
  const latencyMs: number[] = [];
  let finished = 0;
  let maxDelayMs = 0;
  processingMs.forEach((processing, k) => {
    const arrival = k * intervalMs;
    const start = Math.max(arrival, finished);
    const delay = start - arrival;
    finished = start + processing;
    maxDelayMs = Math.max(maxDelayMs, delay);
    latencyMs.push(delay + processing);
  });
  const overInterval = processingMs.filter((p) => p > intervalMs).length;
  const sustainable = maxDelayMs <= intervalMs / 2 && overInterval <= Math.floor(processingMs.length / 30);
  return { sustainable, latencyMs, maxDelayMs, overInterval };
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function spread(values: readonly number[]) {
  return { min: percentile(values, 0), median: percentile(values, 50), max: percentile(values, 100) };
}
