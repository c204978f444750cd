import { seededRandom } from '../../src/engine/util/seeded-random';

export { seededRandom };

/** Says, call by call, whether this call fails. */
export interface FailureSchedule {
  next(): boolean;
}

/**
 * Bursts of failures: `start()` is asked once per call while no burst runs; a burst fails the next
 * `length()` calls. `force()` starts one at the next call (so every seed sees at least one).
 */
export class Bursts implements FailureSchedule {
  private left = 0;
  private forced = false;

  constructor(
    private readonly start: () => boolean,
    private readonly length: () => number,
  ) {}

  force(): void {
    this.forced = true;
  }

  /** Whether this call fails. */
  next(): boolean {
    if (this.left === 0 && (this.forced || this.start())) {
      this.forced = false;
      this.left = Math.max(1, this.length());
    }
    if (this.left === 0) return false;
    this.left--;
    return true;
  }
}

/**
 * Holds calls while closed: a paused process (a coordinator frozen in GC, a stopped VM) or, when never
 * opened again, one killed at its deadline. Calls already past the gate run on.
 */
export class Gate {
  private waiting?: { promise: Promise<void>; open: () => void };

  get closed(): boolean {
    return this.waiting !== undefined;
  }

  close(): void {
    if (this.waiting) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.waiting = { promise, open };
  }

  open(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.open();
  }

  /** Resolves at once while open; else when the gate opens (never, if it never does). */
  async pass(): Promise<void> {
    while (this.waiting) await this.waiting.promise;
  }
}
