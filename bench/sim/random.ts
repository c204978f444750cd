import type { Latency } from './model';

/** A seeded generator (mulberry32): the same seed gives the same simulation. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A log-normal latency with the given median and 99th percentile. */
  latency({ medianMs, p99Ms }: Latency): number {
    const sigma = Math.log(p99Ms / medianMs) / 2.326;
    return medianMs * Math.exp(sigma * this.normal());
  }
}
