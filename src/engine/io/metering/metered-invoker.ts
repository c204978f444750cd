import type { InvokeOptions, Invoker } from '../ports';
import { currentMeter } from './meter';
import { isRequestCounts, type RequestCounts } from './request-counts';

/** The task function's memory in serverless.yml (1,769 MB: one full vCPU). */
export const DEFAULT_TASK_MEMORY_MB = 1769;

/** What a task reports back that the meter reads: its own duration and the requests it made. */
export interface MeteredResult {
  durationMs?: number;
  requests?: RequestCounts;
}

/**
 * Counts each task invocation as Lambda bills it, into the current meter: one request, and its duration
 * rounded up to 1 ms times the function's memory. The duration is the one the task measured itself (the
 * handler's time, which Lambda bills), or for a failed invocation the time since it left the queue.
 * Adds the requests the task made (`result.requests`), which the task counted in its own scope, so an
 * in-process task is counted once. Tasks cancelled before they started cost nothing.
 */
export class MeteredInvoker<TRequest, TResponse extends MeteredResult>
  implements Invoker<TRequest, TResponse>
{
  constructor(
    readonly inner: Invoker<TRequest, TResponse>,
    readonly memoryMb = DEFAULT_TASK_MEMORY_MB,
  ) {}

  get parallelism(): number {
    return this.inner.parallelism;
  }

  async invoke(request: TRequest, options?: InvokeOptions): Promise<TResponse> {
    let startedAt: number | undefined;
    const onStart = () => {
      startedAt = performance.now();
      options?.onStart?.();
    };
    let result: TResponse;
    try {
      result = await this.inner.invoke(request, { ...options, onStart });
    } catch (error) {
      if (startedAt !== undefined) this.bill(performance.now() - startedAt);
      throw error;
    }
    const measured = result?.durationMs;
    this.bill(typeof measured === 'number' ? measured : performance.now() - (startedAt ?? performance.now()));
    if (isRequestCounts(result?.requests)) currentMeter()?.add(result.requests);
    return result;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private bill(durationMs: number): void {
    const meter = currentMeter();
    if (!meter) return;
    const billedMs = Math.max(1, Math.ceil(durationMs));
    meter.add({ lambdaInvokes: 1, lambdaBilledMs: billedMs, lambdaMbMs: billedMs * this.memoryMb });
  }
}

/** `invoker`, metered; an invoker already metered is returned as it is, so nothing is counted twice. */
export function meteredInvoker<TRequest, TResponse extends MeteredResult>(
  invoker: Invoker<TRequest, TResponse>,
  memoryMb?: number,
): Invoker<TRequest, TResponse> {
  return invoker instanceof MeteredInvoker ? invoker : new MeteredInvoker(invoker, memoryMb);
}
