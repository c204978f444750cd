import type { Clock } from '../ports';

/**
 * At most `perWindow` calls per `windowMs` for each key (a shard): Kinesis allows 5 GetRecords and 5
 * GetShardIterator calls per second per shard, shared by every standard consumer of the stream, so this
 * process never spends more than that on its own. Waits go through the Clock port.
 */
export class RateLimiter {
  /** Start times of the last `perWindow` calls of each key, oldest first. */
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    readonly perWindow = 5,
    readonly windowMs = 1000,
  ) {}

  /** The earliest time a call for `key` may start. */
  nextSlot(key: string): number {
    const now = this.clock.now();
    const times = this.recent.get(key);
    if (!times || times.length < this.perWindow) return now;
    return Math.max(now, times[times.length - this.perWindow] + this.windowMs);
  }

  /** Waits until a call for `key` may start, and counts it as started. */
  async acquire(key: string): Promise<void> {
    for (let slot = this.nextSlot(key); slot > this.clock.now(); slot = this.nextSlot(key)) {
      await this.clock.sleepUntil(slot);
    }
    const times = this.recent.get(key) ?? [];
    times.push(this.clock.now());
    if (times.length > this.perWindow) times.shift();
    this.recent.set(key, times);
  }
}
