import { InvokeCancelledError, InvokeError } from './errors';
import type { InvokeOptions, Invoker } from './ports';
import { Slots } from './slots';

/**
 * Runs tasks in this process, at most `concurrency` at a time. Requests still go through a serialize
 * round trip (structuredClone) so a task sees exactly what a remote worker would: data, never closures.
 */
export class InProcessInvoker<TRequest, TResponse> implements Invoker<TRequest, TResponse> {
  private closed = false;
  private readonly slots: Slots;

  constructor(
    private readonly handler: (request: TRequest) => Promise<TResponse>,
    private readonly concurrency = 1,
  ) {
    if (!Number.isInteger(concurrency) || concurrency <= 0) {
      throw new InvokeError(`concurrency must be a positive whole number, got ${concurrency}`, {
        concurrency,
      });
    }
    this.slots = new Slots(concurrency, cancelled);
  }

  get parallelism(): number {
    return this.concurrency;
  }

  async invoke(request: TRequest, options?: InvokeOptions): Promise<TResponse> {
    if (this.closed) throw new InvokeError('the invoker is closed; no more tasks can run');
    await this.slots.acquire(options?.signal);
    options?.onStart?.();
    try {
      return await this.handler(structuredClone(request));
    } finally {
      this.slots.release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function cancelled(): InvokeCancelledError {
  return new InvokeCancelledError('task cancelled before it started: its result is no longer needed');
}
