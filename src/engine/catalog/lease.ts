import { isConditionFailed } from '../io/errors';
import type { Clock } from '../io/ports';
import { LeaseHeldError, StaleCoordinatorError } from './errors';
import type { JobCatalog, LeaseRecord } from './job-catalog';

/** Tries to release a lease gets (waiting 100, 200, 400 ms between them) before leaving it to expire. */
const RELEASE_ATTEMPTS = 4;

/**
 * One coordinator per job, fenced in storage: the lease is taken, renewed, handed over and released by
 * compare-and-set, and its epoch grows with every takeover. A coordinator proves it still holds the
 * lease before every externally visible write (`assertHeld`): while the lease is certainly unexpired by
 * its own clock that costs nothing, otherwise it renews, which fails once another coordinator took over.
 */
export class Lease {
  /** Set when a background renewal found the lease taken over; every later check throws it. */
  private lost?: unknown;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly catalog: JobCatalog,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private record: LeaseRecord,
    private version: string,
  ) {}

  get epoch(): number {
    return this.record.epoch;
  }

  get owner(): string {
    return this.record.owner;
  }

  get expiresAt(): number {
    return this.record.expiresAt;
  }

  static async acquire(catalog: JobCatalog, clock: Clock, owner: string, ttlMs: number): Promise<Lease> {
    const current = await catalog.readLease();
    const held = current?.value;
    const now = clock.now();
    // A live lease is free only once released, to anyone or to us by name. Not even our own owner id
    // may take it otherwise: an async event delivered twice would run two coordinators under one name.
    if (held && held.expiresAt > now) {
      const free = held.released && (held.handedTo === undefined || held.handedTo === owner);
      if (!free) {
        throw new LeaseHeldError(
          `coordinator ${held.owner} holds this job's lease (epoch ${held.epoch}) until ${new Date(held.expiresAt).toISOString()}; ` +
            'only one coordinator may run a job: stop the other one, or wait for its lease to expire',
          { holder: held.owner, epoch: held.epoch, expiresAt: held.expiresAt, handedTo: held.handedTo },
        );
      }
    }
    const record: LeaseRecord = { epoch: (held?.epoch ?? 0) + 1, owner, expiresAt: now + ttlMs };
    try {
      const version = await catalog.writeLease(record, current?.version);
      return new Lease(catalog, clock, ttlMs, record, version);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new LeaseHeldError(
        "another coordinator took this job's lease at the same time",
        { owner },
        {
          cause: error,
        },
      );
    }
  }

  /** Extends the lease by compare-and-set; StaleCoordinatorError if another coordinator took it over. */
  async renew(): Promise<void> {
    await this.replace(() => ({ ...this.record, expiresAt: this.clock.now() + this.ttlMs }));
  }

  /**
   * Proves the lease is still ours before an externally visible write. Free while at least a third of
   * its time-to-live is left by our own clock (no one else may take it before expiry); else a renewal.
   */
  async assertHeld(): Promise<void> {
    if (this.lost) throw this.lost;
    if (this.record.released || this.record.handedTo !== undefined) {
      throw new StaleCoordinatorError(
        `coordinator ${this.record.owner} (epoch ${this.record.epoch}) already gave up its lease`,
        { epoch: this.record.epoch },
      );
    }
    if (this.clock.now() < this.record.expiresAt - this.ttlMs / 3) return;
    await this.renew();
  }

  /**
   * Renews the lease in the background (every third of its time-to-live, on the coordinator's clock)
   * while a long batch runs, so a healthy coordinator in a slow stage is not taken over. It gives up after
   * `forMs`: a coordinator stuck that long (driver code that never returns) must not hold the job forever;
   * once the lease expires another coordinator takes over, and the stuck one is fenced if it ever goes on.
   * Returns the stop function; a stopped loop holds no timer.
   */
  keepAlive(forMs = Number.POSITIVE_INFINITY): () => void {
    const stop = new AbortController();
    const everyMs = Math.max(50, this.ttlMs / 3);
    const until = this.clock.now() + forMs;
    void (async () => {
      for (let due = this.clock.now() + everyMs; ; due += everyMs) {
        // A clock may wake a sleeper early (a test clock's off-grid waits): renew only once due.
        while (!stop.signal.aborted && this.clock.now() < due)
          await this.clock.sleepUntil(due, { signal: stop.signal, background: true });
        if (stop.signal.aborted || this.lost || this.record.released || this.clock.now() > until) return;
        await this.renew().catch((error) => {
          this.lost ??= error;
        });
      }
    })();
    return () => stop.abort();
  }

  /**
   * Lets the next coordinator start at once (a clean stop, or a failed start). A store error is retried
   * a few times: a lease left behind blocks every other coordinator until it expires. Losing the lease to
   * another coordinator meanwhile is fine: then there is nothing left to release. The waits between tries
   * are real time, not the clock's: a runtime holds its clock's sleeps while a coordinator stops (see
   * runtime/continuity.ts GatedClock), and a release must not wait for a gate that stays shut.
   */
  async release(): Promise<void> {
    for (let attempt = 0; attempt < RELEASE_ATTEMPTS; attempt++) {
      try {
        await this.replace(() => ({ ...this.record, released: true }));
        return;
      } catch (error) {
        if (error instanceof StaleCoordinatorError) return;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  /** Hands the lease to a named successor: only it may take the lease before it expires. */
  async handOver(successor: string): Promise<void> {
    await this.replace(() => ({ ...this.record, released: true, handedTo: successor }));
  }

  /** One write of the lease at a time: two at once would race each other's compare-and-set. */
  private replace(next: LeaseRecord | (() => LeaseRecord)): Promise<void> {
    const write = this.writing.then(() => this.write(typeof next === 'function' ? next() : next));
    this.writing = write.catch(() => undefined);
    return write;
  }

  private async write(next: LeaseRecord): Promise<void> {
    try {
      this.version = await this.catalog.writeLease(next, this.version);
      this.record = next;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const current = (await this.catalog.readLease().catch(() => undefined))?.value;
      throw new StaleCoordinatorError(
        `coordinator ${this.record.owner} (epoch ${this.record.epoch}) was replaced by ${current?.owner} (epoch ${current?.epoch}); it stops without committing`,
        { epoch: this.record.epoch, current: current?.epoch },
        { cause: error },
      );
    }
  }
}
