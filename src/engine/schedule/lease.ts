import type { Clock, Store } from '../io/ports';
import { ScheduleError } from './errors';

const LEASE_KEY = 'lease.json';

interface LeaseRecord {
  epoch: number;
  owner: string;
  /** The holder renews before this time; after it, another coordinator may take over. */
  expiresAt: number;
  /** Set by a clean stop: the next coordinator may start at once. */
  released?: boolean;
}

/** Another coordinator holds the job's lease and has not let it expire. */
export class LeaseHeldError extends ScheduleError {}

/** This coordinator's lease was taken over: it must stop before writing anything that commits. */
export class StaleCoordinatorError extends ScheduleError {}

/**
 * One coordinator per job (DESIGN: reserved concurrency 1 on AWS, and this lease as the fence). The
 * lease carries an epoch that grows with every takeover; a coordinator checks its epoch before each
 * commit, so one that comes back after a takeover is refused instead of committing a second time.
 */
export class Lease {
  private constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private record: LeaseRecord,
  ) {}

  get epoch(): number {
    return this.record.epoch;
  }

  static async acquire(store: Store, clock: Clock, owner: string, ttlMs: number): Promise<Lease> {
    const current = await read(store);
    if (current && !current.released && current.owner !== owner && current.expiresAt > clock.now()) {
      throw new LeaseHeldError(
        `coordinator ${current.owner} holds this job's lease (epoch ${current.epoch}) until ${new Date(current.expiresAt).toISOString()}; ` +
          'only one coordinator may run a job: stop the other one, or wait for its lease to expire',
        { holder: current.owner, epoch: current.epoch, expiresAt: current.expiresAt },
      );
    }
    const record = { epoch: (current?.epoch ?? 0) + 1, owner, expiresAt: clock.now() + ttlMs };
    await write(store, record);
    // Stores without conditional writes (s3rver, a directory): read back to catch a simultaneous taker.
    const check = await read(store);
    if (check?.epoch !== record.epoch || check.owner !== owner) {
      throw new LeaseHeldError(`coordinator ${check?.owner} took this job's lease at the same time`, {
        holder: check?.owner,
      });
    }
    return new Lease(store, clock, ttlMs, record);
  }

  /** Refuses (StaleCoordinatorError) if another coordinator took over; otherwise extends the lease. */
  async renew(): Promise<void> {
    await this.check();
    this.record = { ...this.record, expiresAt: this.clock.now() + this.ttlMs };
    await write(this.store, this.record);
  }

  async check(): Promise<void> {
    const current = await read(this.store);
    if (current?.epoch !== this.record.epoch || current.owner !== this.record.owner) {
      throw new StaleCoordinatorError(
        `coordinator ${this.record.owner} (epoch ${this.record.epoch}) was replaced by ${current?.owner} (epoch ${current?.epoch}); it stops without committing`,
        { epoch: this.record.epoch, current: current?.epoch },
      );
    }
  }

  /** Lets the next coordinator start at once (a clean hand-over). */
  async release(): Promise<void> {
    const current = await read(this.store);
    if (current?.epoch === this.record.epoch && current.owner === this.record.owner) {
      await write(this.store, { ...this.record, released: true });
    }
  }
}

async function read(store: Store): Promise<LeaseRecord | undefined> {
  const bytes = await store.get(LEASE_KEY);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as LeaseRecord;
  } catch {
    // A torn write (stores without atomic puts, e.g. s3rver during a restart) fences nothing; owners
    // are unique, so a fresh lease still refuses any earlier holder.
    return undefined;
  }
}

async function write(store: Store, record: LeaseRecord): Promise<void> {
  await store.put(LEASE_KEY, new TextEncoder().encode(JSON.stringify(record)));
}
