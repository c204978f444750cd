import type { Clock } from '../io/ports';

export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `time` on `clock`; false if `signal` aborted first. */
export async function sleepUnlessAborted(clock: Clock, time: number, signal?: AbortSignal): Promise<boolean> {
  if (!signal) {
    await clock.sleepUntil(time);
    return true;
  }
  if (signal.aborted) return false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<false>((resolve) => {
    onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const result = await Promise.race([clock.sleepUntil(time).then(() => true), aborted]);
  signal.removeEventListener('abort', onAbort!);
  return result;
}
