import type { InvokeError } from './errors';

/**
 * At most `size` holders at once; the others wait in order. A waiter whose signal aborts leaves the
 * queue (rejecting with `cancelled()`), and a freed slot passes to the next waiter only once the
 * finished holder's callers have reacted: a speculative backup queued right behind its winning original
 * is cancelled before it could take the slot.
 */
export class Slots {
  private used = 0;
  private readonly waiting: Array<{ start(): void; cancel(error: InvokeError): void }> = [];

  constructor(
    private readonly size: number,
    private readonly cancelled: () => InvokeError,
  ) {}

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(this.cancelled());
    if (this.used < this.size) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = { start: resolve, cancel: reject };
      this.waiting.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.waiting.indexOf(waiter);
          if (at < 0) return;
          this.waiting.splice(at, 1);
          reject(this.cancelled());
        },
        { once: true },
      );
    });
  }

  release(): void {
    setImmediate(() => {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `used` stays put.
      if (next) next.start();
      else this.used--;
    });
  }

  /** Rejects every waiter with `error` (the invoker is closing). */
  rejectWaiting(error: () => InvokeError): void {
    for (const waiter of this.waiting.splice(0)) waiter.cancel(error());
  }
}
