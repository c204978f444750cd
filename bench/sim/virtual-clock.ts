import type { Clock, SleepOptions } from '../../src/engine/io/ports';
import { SluiceError } from '../../src/engine/util/errors';

/** The simulated world cannot go on (nothing left to run, a modelled limit refused a request). */
export class SimulationError extends SluiceError {}

export interface Sleeper {
  time: number;
  wake: () => void;
}

/** Work the simulator does off the coordinator's books (running simulated tasks) when all else waits. */
export type IdleWork = () => Promise<boolean>;

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * A discrete-event clock. Time jumps from one sleeper to the next once the process has nothing else to
 * do, so a minute of simulated batches takes as long as the code that runs in it. With `chargeCpu`,
 * the real CPU time the coordinator's own code spends between events is added to simulated time as it
 * is spent (one coordinator, one thread): planning and bookkeeping then delay what follows, as they
 * would on a Lambda. Without it, time depends only on the model and the seed.
 */
export class VirtualClock implements Clock {
  private time: number;
  private readonly sleepers: Sleeper[] = [];
  private readonly idleWork: IdleWork[] = [];
  private meterStart?: number;
  /** Coordinator CPU charged so far (ms). */
  cpuMs = 0;

  constructor(
    start = 0,
    private readonly chargeCpu = true,
  ) {
    this.time = start;
  }

  now(): number {
    return this.time + this.unchargedCpuMs();
  }

  /** Background sleeps are events like any other: time jumps to them when nothing else can run. */
  sleepUntil(time: number, options: SleepOptions = {}): Promise<void> {
    const { signal } = options;
    if (time <= this.now() || signal?.aborted) return Promise.resolve();
    return new Promise((wake) => {
      const abort = () => {
        // A stopped background loop leaves no event behind to jump time to.
        const at = this.sleepers.indexOf(sleeper);
        if (at >= 0) this.sleepers.splice(at, 1);
        wake();
      };
      const sleeper = this.at(time, () => {
        signal?.removeEventListener('abort', abort);
        wake();
      });
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** Runs `wake` at simulated `time` (after everything already due then). */
  at(time: number, wake: () => void): Sleeper {
    let lo = 0;
    let hi = this.sleepers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sleepers[mid].time <= time) lo = mid + 1;
      else hi = mid;
    }
    const sleeper = { time, wake };
    this.sleepers.splice(lo, 0, sleeper);
    return sleeper;
  }

  onIdle(work: IdleWork): void {
    this.idleWork.push(work);
  }

  /** Drives simulated time until `work` settles, and returns its outcome. */
  async drive<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    this.meterStart = this.chargeCpu ? cpuMicros() : undefined;
    for (;;) {
      await quiescent();
      this.charge();
      if (settled) break;
      if (await this.runIdleWork()) continue;
      const next = this.sleepers.shift();
      if (!next) throw new SimulationError('the simulation is stalled: nothing runs and nobody sleeps');
      this.time = Math.max(this.time, next.time);
      next.wake();
    }
    this.meterStart = undefined;
    return work;
  }

  private unchargedCpuMs(): number {
    return this.meterStart === undefined ? 0 : (cpuMicros() - this.meterStart) / 1000;
  }

  private charge(): void {
    if (this.meterStart === undefined) return;
    const spent = this.unchargedCpuMs();
    this.time += spent;
    this.cpuMs += spent;
    this.meterStart = cpuMicros();
  }

  /** Simulator work is not the coordinator's: the meter restarts after it. */
  private async runIdleWork(): Promise<boolean> {
    let ran = false;
    const metered = this.meterStart !== undefined;
    this.meterStart = undefined;
    for (const work of this.idleWork) ran = (await work()) || ran;
    if (metered) this.meterStart = cpuMicros();
    return ran;
  }
}

/** Resolves once every promise continuation ready now has run (two event-loop turns). */
async function quiescent(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
