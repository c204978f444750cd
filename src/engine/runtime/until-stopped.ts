/** Something running that can be asked to stop: an embedded job, a local AWS with its coordinator. */
export interface Stoppable {
  stop(): Promise<void>;
  /** Resolves when it has stopped; rejects if it failed. */
  done: Promise<void>;
}

/**
 * Waits until `running` ends: on its own, after `durationMs`, or on Ctrl-C / SIGTERM, each of which asks
 * it to stop cleanly (after the batch in progress). The signal handlers are removed afterwards.
 */
export async function untilStopped(running: Stoppable, durationMs?: number): Promise<void> {
  const stop = () => void running.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const timer = durationMs === undefined ? undefined : setTimeout(stop, durationMs);
  try {
    await running.done;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
