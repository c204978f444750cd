import { ConfigError } from '../util/errors';
import type { Clock, SleepOptions } from './ports';

/** Longest delay setTimeout honours; longer ones overflow and fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Wall-clock time. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  async sleepUntil(time: number, options: SleepOptions = {}): Promise<void> {
    checkTime(time, 'sleepUntil time');
    const { signal, background = false } = options;
    // Timers may fire a millisecond early (rounding, clock adjustments), so re-check and sleep again.
    for (let now = Date.now(); now < time && !signal?.aborted; now = Date.now()) {
      const delay = Math.min(Math.max(1, Math.ceil(time - now)), MAX_TIMER_MS);
      await new Promise<void>((resolve) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const done = () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        signal?.addEventListener('abort', done, { once: true });
        timer = setTimeout(done, delay);
        // A background loop (lease renewal, straggler checks) never keeps the process alive.
        if (background) timer.unref();
      });
    }
  }
}

export interface ManualClockOptions {
  /** `sleepUntil(t)` jumps the clock to `t` at once, so scheduled batches run back to back. */
  autoAdvance?: boolean;
}

interface Sleeper {
  time: number;
  resolve: () => void;
}

/** Time that moves only when told to, for deterministic tests. */
export class ManualClock implements Clock {
  private time: number;
  private readonly autoAdvance: boolean;
  /** Sorted by time; equal times keep arrival order. */
  private readonly sleepers: Sleeper[] = [];

  constructor(start = 0, options: ManualClockOptions = {}) {
    if (!Number.isFinite(start)) {
      throw new ConfigError(`ManualClock start must be a finite number, got ${start}`, { start });
    }
    this.time = start;
    this.autoAdvance = options.autoAdvance ?? false;
  }

  now(): number {
    return this.time;
  }

  /** How many `sleepUntil` calls are still waiting; lets tests wait until a loop has gone to sleep. */
  get pendingSleepers(): number {
    return this.sleepers.length;
  }

  /** The earliest time someone is sleeping until, if anyone is. */
  nextWakeup(): number | undefined {
    return this.sleepers[0]?.time;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new ConfigError(`ManualClock.advance needs a finite, non-negative number of ms, got ${ms}`, {
        ms,
      });
    }
    this.moveTo(this.time + ms);
  }

  setTime(time: number): void {
    if (!Number.isFinite(time)) {
      throw new ConfigError(`ManualClock.setTime needs a finite time, got ${time}`, { time });
    }
    if (time < this.time) {
      // Code under test may rely on monotonic time (deadlines, batch order).
      throw new ConfigError(`ManualClock cannot move backwards from ${this.time} to ${time}`, {
        now: this.time,
        time,
      });
    }
    this.moveTo(time);
  }

  sleepUntil(time: number, options: SleepOptions = {}): Promise<void> {
    const { signal, background = false } = options;
    try {
      checkTime(time, 'sleepUntil time');
    } catch (err) {
      return Promise.reject(err);
    }
    if (time <= this.time || signal?.aborted) return Promise.resolve();
    const woken = new Promise<void>((resolve) => {
      const abort = () => {
        // An aborted sleeper leaves the queue, so pendingSleepers counts only real waits.
        const at = this.sleepers.indexOf(sleeper);
        if (at >= 0) this.sleepers.splice(at, 1);
        resolve();
      };
      const sleeper = {
        time,
        resolve: () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        },
      };
      this.enqueue(sleeper);
      signal?.addEventListener('abort', abort, { once: true });
    });
    // Infinity means "forever", even when auto-advancing; a background wait does not drive time.
    if (this.autoAdvance && !background && Number.isFinite(time)) this.moveTo(time);
    return woken;
  }

  private enqueue(sleeper: Sleeper): void {
    // Insert after every sleeper with time <= ours (binary search) to keep FIFO among equal times.
    let lo = 0;
    let hi = this.sleepers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sleepers[mid].time <= sleeper.time) lo = mid + 1;
      else hi = mid;
    }
    this.sleepers.splice(lo, 0, sleeper);
  }

  private moveTo(time: number): void {
    this.time = Math.max(this.time, time);
    // Resolving in queue order schedules the sleepers' continuations in time order.
    while (this.sleepers.length > 0 && this.sleepers[0].time <= this.time) {
      this.sleepers.shift()!.resolve();
    }
  }
}

function checkTime(time: number, what: string): void {
  if (typeof time !== 'number' || Number.isNaN(time)) {
    throw new ConfigError(`${what} must be a number, got ${String(time)}`, { time });
  }
}
