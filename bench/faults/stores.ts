import { StoreError } from '../../src/engine/io/errors';
import type { Store, StoreEntry, VersionedObject, WriteCondition } from '../../src/engine/io/ports';
import type { FaultCounts } from './invokers';
import type { FailureSchedule, Gate } from './random';

/** Passes every call to `inner`; subclasses override what they change. */
export class StoreWrapper implements Store {
  constructor(protected readonly inner: Store) {}

  put(key: string, body: Uint8Array): Promise<void> {
    return this.inner.put(key, body);
  }

  putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    return this.inner.putIf(key, body, condition);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }

  getVersioned(key: string): Promise<VersionedObject | undefined> {
    return this.inner.getVersioned(key);
  }

  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    return this.inner.getRange(key, start, end);
  }

  has(key: string): Promise<boolean> {
    return this.inner.has(key);
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.inner.delete(keys);
  }

  list(prefix: string): Promise<StoreEntry[]> {
    return this.inner.list(prefix);
  }
}

/** Picks which cached objects are lost when a batch commits. */
export type LossPlan = (cached: readonly StoreEntry[], committedBatch: number) => string[];

/** Loses each cached object with probability `fraction`. */
export function randomLoss(fraction: number, random: () => number): LossPlan {
  return (cached) => cached.filter(() => random() < fraction).map((e) => e.key);
}

/** The batch time in a manifest key that was just written as committed, if it is one. */
export function committedManifestTime(key: string, body: Uint8Array): number | undefined {
  const committed = /^manifests\/(\d+)\.json$/.exec(key);
  if (!committed || !new TextDecoder().decode(body).includes('"status":"committed"')) return undefined;
  return Number(committed[1]);
}

/** A store that does something right after a batch's manifest is written as committed. */
abstract class AfterCommitStore extends StoreWrapper {
  override async put(key: string, body: Uint8Array): Promise<void> {
    await this.inner.put(key, body);
    await this.check(key, body);
  }

  override async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    const version = await this.inner.putIf(key, body, condition);
    await this.check(key, body);
    return version;
  }

  private async check(key: string, body: Uint8Array): Promise<void> {
    const time = committedManifestTime(key, body);
    if (time !== undefined) await this.afterCommit(time);
  }

  protected abstract afterCommit(committedBatch: number): Promise<void>;
}

/**
 * A store that loses cached data (cached partitions, shuffle files, input blocks) right after a batch
 * commits: what a lost worker or an evicted cache looks like to lineage. Checkpoints, manifests, sinks
 * and the lease are the reliable part and are never lost.
 */
export class LossyStore extends AfterCommitStore {
  constructor(
    inner: Store,
    private readonly plan: LossPlan,
    readonly counts: FaultCounts,
  ) {
    super(inner);
  }

  protected async afterCommit(committedBatch: number): Promise<void> {
    const cached = (await this.inner.list('batches/')).filter((e) =>
      /\/(stored|shuffle|input)\//.test(e.key),
    );
    const lost = this.plan(cached, committedBatch);
    if (lost.length === 0) return;
    this.counts.lostObjects += lost.length;
    await this.inner.delete(lost);
  }
}

/**
 * A bucket lifecycle rule on transient batch data: deletes every object under `batches/` whose batch
 * time is older than `olderThan` (not only what the engine's own cleaner would delete). Returns how many.
 */
export async function expireTransient(store: Store, olderThan: number): Promise<number> {
  const expired = (await store.list('batches/'))
    .filter((e) => {
      const time = /^batches\/(\d+)\//.exec(e.key);
      return time !== null && Number(time[1]) < olderThan;
    })
    .map((e) => e.key);
  if (expired.length > 0) await store.delete(expired);
  return expired.length;
}

/**
 * A lifecycle rule run right after batches commit: `olderThan(committed)` says from which batch time on
 * transient data survives (undefined: no sweep after this batch).
 */
export class ExpiringStore extends AfterCommitStore {
  constructor(
    inner: Store,
    private readonly olderThan: (committedBatch: number) => number | undefined,
    readonly counts: { expiredTransient: number },
  ) {
    super(inner);
  }

  protected async afterCommit(committedBatch: number): Promise<void> {
    const before = this.olderThan(committedBatch);
    if (before !== undefined) this.counts.expiredTransient += await expireTransient(this.inner, before);
  }
}

/** What the S3 SDK throws once its own retries of 503 SlowDown ran out. */
export function s3SlowDown(operation: string, key: string): Error {
  const cause = Object.assign(new Error('Please reduce your request rate. (injected fault)'), {
    name: 'SlowDown',
    Code: 'SlowDown',
    $fault: 'server',
    $retryable: { throttling: true },
    $metadata: { httpStatusCode: 503, attempts: 3 },
  });
  return new StoreError(
    `S3 ${operation} of ${key} failed: SlowDown (503, injected fault)`,
    { key },
    { cause },
  );
}

/** S3 throttling past the SDK's retries: in bursts, calls fail with 503 SlowDown before reaching S3. */
export class SlowDownStore extends StoreWrapper {
  constructor(
    inner: Store,
    readonly bursts: FailureSchedule,
    readonly counts: { s3SlowDown: number },
  ) {
    super(inner);
  }

  private check(operation: string, key: string): void {
    if (this.bursts.next()) {
      this.counts.s3SlowDown++;
      throw s3SlowDown(operation, key);
    }
  }

  override async put(key: string, body: Uint8Array): Promise<void> {
    this.check('PutObject', key);
    return this.inner.put(key, body);
  }

  override async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    this.check('PutObject', key);
    return this.inner.putIf(key, body, condition);
  }

  override async get(key: string): Promise<Uint8Array | undefined> {
    this.check('GetObject', key);
    return this.inner.get(key);
  }

  override async getVersioned(key: string): Promise<VersionedObject | undefined> {
    this.check('GetObject', key);
    return this.inner.getVersioned(key);
  }

  override async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    this.check('GetObject', key);
    return this.inner.getRange(key, start, end);
  }

  override async has(key: string): Promise<boolean> {
    this.check('HeadObject', key);
    return this.inner.has(key);
  }

  override async delete(keys: readonly string[]): Promise<void> {
    this.check('DeleteObjects', keys[0] ?? '');
    return this.inner.delete(keys);
  }

  override async list(prefix: string): Promise<StoreEntry[]> {
    this.check('ListObjectsV2', prefix);
    return this.inner.list(prefix);
  }
}

/**
 * A store whose writes wait at a gate: while it is closed, the owner's next write (and every one after)
 * is held, as a paused process holds its next request. `closeWhen` is asked before each write; true
 * closes the gate before that write and calls `onClosed`. Reads pass (they change nothing).
 */
export class GatedStore extends StoreWrapper {
  constructor(
    inner: Store,
    readonly gate: Gate,
    private readonly closeWhen: (key: string, body?: Uint8Array) => boolean = () => false,
    private readonly onClosed: (key: string) => void = () => undefined,
  ) {
    super(inner);
  }

  private async admit(key: string, body?: Uint8Array): Promise<void> {
    if (!this.gate.closed && this.closeWhen(key, body)) {
      this.gate.close();
      this.onClosed(key);
    }
    await this.gate.pass();
  }

  override async put(key: string, body: Uint8Array): Promise<void> {
    await this.admit(key, body);
    return this.inner.put(key, body);
  }

  override async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    await this.admit(key, body);
    return this.inner.putIf(key, body, condition);
  }

  override async delete(keys: readonly string[]): Promise<void> {
    await this.admit(keys[0] ?? '');
    return this.inner.delete(keys);
  }
}
