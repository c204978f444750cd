/** The promise `start` makes for `key`, made once: later callers share it. */
export function remembered<T>(
  cache: Map<string, Promise<T>>,
  key: string,
  start: () => Promise<T>,
): Promise<T> {
  let pending = cache.get(key);
  if (!pending) {
    pending = start();
    cache.set(key, pending);
  }
  return pending;
}
