import { AsyncLocalStorage } from 'node:async_hooks';
import { addRequests, noRequests, type RequestCounts, subtractRequests } from './request-counts';

/** Accumulates the requests made while it is the current meter (see withMeter). */
export class RequestMeter {
  private counts = noRequests();

  add(counts: Partial<RequestCounts>): void {
    this.counts = addRequests(this.counts, counts);
  }

  count(kind: keyof RequestCounts, n = 1): void {
    this.counts[kind] += n;
  }

  /** What has been counted so far (a copy). */
  peek(): RequestCounts {
    return { ...this.counts };
  }

  /** Forgets `counts` (already reported elsewhere), keeping whatever was counted besides them. */
  deduct(counts: Partial<RequestCounts>): void {
    this.counts = subtractRequests(this.counts, counts);
  }
}

/**
 * The meter of the work in progress, carried along async calls and timers, so adapters count their
 * requests without any plumbing. A scope does not add to the scope around it: work that reports its
 * counts explicitly (a task's result) is counted once, by whoever receives the report.
 */
const current = new AsyncLocalStorage<RequestMeter>();

/** Runs `fn` (and everything it starts) with `meter` as the current meter. */
export function withMeter<T>(meter: RequestMeter, fn: () => T): T {
  return current.run(meter, fn);
}

export function currentMeter(): RequestMeter | undefined {
  return current.getStore();
}

/** Adds to the current meter, if there is one (work outside any scope is not attributed to anything). */
export function countRequests(kind: keyof RequestCounts, n = 1): void {
  current.getStore()?.count(kind, n);
}

/**
 * Runs one task in its own meter scope and returns its result with the requests it made added to those
 * the result already reports (`requests`), so the caller can pass them on to the batch.
 */
export async function meteredTask<R extends { requests?: RequestCounts }>(run: () => Promise<R>): Promise<R> {
  const meter = new RequestMeter();
  const result = await withMeter(meter, run);
  return { ...result, requests: addRequests(result.requests ?? {}, meter.peek()) };
}
