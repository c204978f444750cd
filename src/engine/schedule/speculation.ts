import { SystemClock } from '../io/clock';
import type { Clock } from '../io/ports';

/**
 * Speculative execution (as in MapReduce and Spark): once most of a stage's tasks have finished, a task
 * running much longer than their median gets a backup copy; the first copy to succeed wins. Tasks are
 * deterministic and write the same bytes to the same keys, so the loser is harmless.
 */
export interface SpeculationPolicy {
  enabled: boolean;
  /** Fraction of the stage's tasks that must have finished before any backup is launched. */
  quantile: number;
  /** A task is slow once it has run longer than this multiple of the finished tasks' median... */
  multiplier: number;
  /** ...and longer than this, so tiny stages do not speculate on noise. */
  minThresholdMs: number;
  checkEveryMs: number;
}

export const DEFAULT_SPECULATION: SpeculationPolicy = {
  enabled: true,
  quantile: 0.75,
  multiplier: 1.5,
  minThresholdMs: 100,
  checkEveryMs: 20,
};

export interface SpeculativeRun<R> {
  results: R[];
  /** Backup copies launched. */
  backups: number;
  /** Tasks whose backup finished first. */
  backupWins: number;
}

/**
 * Runs tasks 0..count-1 with `run(index, isBackup)`, each a complete attempt chain (retries included).
 * A task fails only when every copy of it failed.
 */
export function runSpeculatively<R>(
  count: number,
  /**
   * `started()` is to be called when the copy really begins running (it may wait in a queue first);
   * `signal` aborts once another copy of the task has won, so a copy still queued need not run at all.
   */
  run: (index: number, isBackup: boolean, started: () => void, signal: AbortSignal) => Promise<R>,
  policy: SpeculationPolicy,
  /** Times the tasks and paces the straggler checks (the coordinator's clock, so a simulation can run it). */
  clock: Clock = new SystemClock(),
): Promise<SpeculativeRun<R>> {
  const now = () => clock.now();
  return new Promise((resolve, reject) => {
    const results = new Array<R>(count);
    const finished = new Array<boolean>(count).fill(false);
    const startedAt = new Array<number | undefined>(count);
    const copies = new Array<number>(count).fill(1);
    const failures = new Array<number>(count).fill(0);
    const cancels: AbortController[][] = Array.from({ length: count }, () => []);
    const durations: number[] = [];
    let remaining = count;
    let backups = 0;
    let backupWins = 0;
    let over = false;
    const checks = new AbortController();

    const end = () => {
      over = true;
      checks.abort();
    };
    // Once the stage failed, copies still queued are of no use either.
    const cancelAll = () => {
      for (const copies of cancels) for (const cancel of copies) cancel.abort();
    };
    const succeed = (index: number, result: R, isBackup: boolean) => {
      if (over || finished[index]) return;
      finished[index] = true;
      results[index] = result;
      for (const cancel of cancels[index]) cancel.abort();
      durations.push(now() - (startedAt[index] ?? now()));
      if (isBackup) backupWins++;
      if (--remaining === 0) {
        end();
        resolve({ results, backups, backupWins });
      }
    };
    const fail = (index: number, error: unknown) => {
      if (over || finished[index]) return;
      if (++failures[index] < copies[index]) return; // another copy may still succeed
      end();
      cancelAll();
      reject(error);
    };
    const launch = (index: number, isBackup: boolean) => {
      const started = () => {
        if (!isBackup && startedAt[index] === undefined) startedAt[index] = now();
      };
      const cancel = new AbortController();
      cancels[index].push(cancel);
      run(index, isBackup, started, cancel.signal).then(
        (result) => succeed(index, result, isBackup),
        (error) => fail(index, error),
      );
    };
    const checkStragglers = () => {
      if (durations.length < Math.max(1, Math.floor(policy.quantile * count))) return;
      const threshold = Math.max(policy.minThresholdMs, policy.multiplier * median(durations));
      const time = now();
      for (let i = 0; i < count; i++) {
        // A task still queued behind others is not slow: only running time counts.
        const since = startedAt[i];
        if (!finished[i] && copies[i] === 1 && since !== undefined && time - since > threshold) {
          copies[i] = 2;
          backups++;
          launch(i, true);
        }
      }
    };

    if (count === 0) {
      resolve({ results, backups, backupWins });
      return;
    }
    for (let i = 0; i < count; i++) launch(i, false);
    if (policy.enabled && count > 1 && !over) {
      // Stopped by end(): an aborted sleep holds no timer.
      void (async () => {
        while (!over) {
          await clock.sleepUntil(now() + policy.checkEveryMs, { signal: checks.signal, background: true });
          if (!over) checkStragglers();
        }
      })();
    }
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
