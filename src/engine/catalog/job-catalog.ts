import { isConditionFailed } from '../io/errors';
import type { Store, WriteCondition } from '../io/ports';
import { StaleCoordinatorError } from './errors';
import { JOB_KEY, LEASE_KEY, MANIFEST_PREFIX, manifestKey, manifestTimeOf } from './layout';
import type { BatchManifest } from './manifest';

/** What must survive every coordinator: the clock origin all batch times count from, and the job's shape. */
export interface JobState {
  job: string;
  zeroTime: number;
  batchMs: number;
  /** Partitions of each stream (by id and operator), so a changed partition count is caught at start. */
  partitions?: Record<string, number>;
}

export interface LeaseRecord {
  epoch: number;
  owner: string;
  /** The holder renews before this time; after it, another coordinator may take over. */
  expiresAt: number;
  /** Set by a clean stop: the next coordinator may start at once. */
  released?: boolean;
  /** Set by a hand-over: only this owner may take the lease before it expires. */
  handedTo?: string;
}

export interface Versioned<T> {
  value: T;
  version: string;
}

/**
 * The job's metadata as domain operations over a few storage hooks (Powertools' persistence layer is
 * the model): every write that decides who owns the job or a batch is a conditional write, and a lost
 * race comes back as a domain error, never as a silent overwrite.
 */
export class JobCatalog {
  constructor(readonly store: Store) {}

  async readJob(): Promise<JobState | undefined> {
    return (await this.readJson<JobState>(JOB_KEY))?.value;
  }

  /** Creates the job's identity once; if another coordinator created it first, theirs is returned. */
  async createJob(state: JobState): Promise<JobState> {
    try {
      await this.store.putIf(JOB_KEY, encode(state), { ifAbsent: true });
      return state;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return (await this.readJob()) ?? state;
    }
  }

  /** Replaces the identity only if unchanged (adds the shape to a job created before it was recorded). */
  async updateJob(state: JobState): Promise<void> {
    const current = await this.readJson<JobState>(JOB_KEY);
    if (!current) return;
    await this.store
      .putIf(JOB_KEY, encode(state), { ifVersion: current.version })
      .catch((error) => (isConditionFailed(error) ? undefined : Promise.reject(error)));
  }

  readLease(): Promise<Versioned<LeaseRecord> | undefined> {
    return this.readJson<LeaseRecord>(LEASE_KEY);
  }

  /**
   * Writes the lease if it is still `expected` (undefined: only if there is none). Throws
   * ConditionFailedError when another coordinator wrote it in between; Lease turns that into its errors.
   */
  writeLease(record: LeaseRecord, expected: string | undefined): Promise<string> {
    return this.putIfOurs(LEASE_KEY, encode(record), condition(expected));
  }

  readManifest(time: number): Promise<Versioned<BatchManifest> | undefined> {
    return this.readJson<BatchManifest>(manifestKey(time));
  }

  /**
   * Writes a batch's manifest: created once (`expected` undefined), then replaced only from the version
   * this coordinator last wrote or read. A refusal means another coordinator claimed the batch.
   */
  async writeManifest(manifest: BatchManifest, expected: string | undefined): Promise<string> {
    try {
      return await this.putIfOurs(manifestKey(manifest.batchTime), encode(manifest), condition(expected));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new StaleCoordinatorError(
        `batch ${manifest.batchTime} was claimed by another coordinator; this one stops without writing more`,
        { batchTime: manifest.batchTime, status: manifest.status },
        { cause: error },
      );
    }
  }

  /** Batch times with a manifest, oldest first. */
  async manifestTimes(): Promise<number[]> {
    return (await this.store.list(MANIFEST_PREFIX)).map((e) => manifestTimeOf(e.key));
  }

  /** Where a batch's manifest lives, for deleting it along with other keys in one request. */
  manifestKeyOf(time: number): string {
    return manifestKey(time);
  }

  /** The newest committed batch (of `zeroTime` when given), if any. */
  async lastCommitted(zeroTime?: number): Promise<BatchManifest | undefined> {
    const times = (await this.manifestTimes()).reverse();
    for (const time of times) {
      const manifest = (await this.readManifest(time))?.value;
      if (manifest?.status !== 'committed') continue;
      if (zeroTime === undefined || manifest.zeroTime === zeroTime) return manifest;
    }
    return undefined;
  }

  /**
   * A conditional write that tells a lost race from a lost response: when the write landed but its
   * response did not, the SDK's retry is refused (412) although nothing else wrote. If the stored bytes
   * are exactly ours (records carry the writer's identity and time, so another writer's never are), the
   * write counts as done.
   */
  private async putIfOurs(key: string, body: Uint8Array, when: WriteCondition): Promise<string> {
    try {
      return await this.store.putIf(key, body, when);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const current = await this.store.getVersioned(key);
      if (current && Buffer.compare(current.body, body) === 0) return current.version;
      throw error;
    }
  }

  private async readJson<T>(key: string): Promise<Versioned<T> | undefined> {
    const found = await this.store.getVersioned(key);
    if (!found) return undefined;
    return { value: JSON.parse(new TextDecoder().decode(found.body)) as T, version: found.version };
  }
}

function condition(expected: string | undefined): WriteCondition {
  return expected === undefined ? { ifAbsent: true } : { ifVersion: expected };
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
