import { InvokeCancelledError, InvokeError } from './errors';
import type { InvokeOptions, Invoker } from './ports';

/**
 * Runs tasks in this process, at most `concurrency` at a time. Requests still go through a serialize
 * round trip (structuredClone) so a task sees exactly what a remote worker would: data, never closures.
 */
export class InProcessInvoker<TRequest, TResponse> implements Invoker<TRequest, TResponse> {
  private running = 0;
  private closed = false;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly handler: (request: TRequest) => Promise<TResponse>,
    private readonly concurrency = 1,
  ) {
    if (!Number.isInteger(concurrency) || concurrency <= 0) {
      throw new InvokeError(`concurrency must be a positive whole number, got ${concurrency}`, {
        concurrency,
      });
    }
  }

  get parallelism(): number {
    return this.concurrency;
  }

  async invoke(request: TRequest, options?: InvokeOptions): Promise<TResponse> {
    if (this.closed) throw new InvokeError('the invoker is closed; no more tasks can run');
    await this.acquire(options?.signal);
    options?.onStart?.();
    try {
      return await this.handler(structuredClone(request));
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(cancelled());
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = () => resolve();
      this.waiting.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.waiting.indexOf(waiter);
          if (at < 0) return;
          this.waiting.splice(at, 1);
          reject(cancelled());
        },
        { once: true },
      );
    });
  }

  /**
   * The slot passes to the next waiter once the finished task's callers have reacted, so a backup
   * queued right behind its original is cancelled (its signal aborts) before it could start.
   */
  private release(): void {
    setImmediate(() => {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    });
  }
}

function cancelled(): InvokeCancelledError {
  return new InvokeCancelledError('task cancelled before it started: its result is no longer needed');
}
