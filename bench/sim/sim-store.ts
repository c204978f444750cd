import type { Clock, Store, StoreEntry, VersionedObject, WriteCondition } from '../../src/engine/io/ports';
import {
  S3_GET,
  S3_GET_PER_S_PER_PREFIX,
  S3_LIST_PAGE,
  S3_PUT,
  S3_PUT_PER_S_PER_PREFIX,
  S3_RETRY_BASE_MS,
  S3_RETRY_MAX_MS,
} from './model';
import type { SeededRandom } from './random';

export type RequestKind = 'put' | 'get' | 'head' | 'list' | 'delete';

export interface S3Counts {
  put: number;
  get: number;
  head: number;
  list: number;
  delete: number;
  /** 503 SlowDown answers (retried by the SDK, not billed). */
  slowDowns: number;
}

export function emptyS3Counts(): S3Counts {
  return { put: 0, get: 0, head: 0, list: 0, delete: 0, slowDowns: 0 };
}

interface Bucket {
  tokens: number;
  at: number;
}

/** S3 as the model sees it: request latencies, per-prefix request rates with SlowDown, request counts. */
export class S3Model {
  readonly counts = emptyS3Counts();
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly random: SeededRandom) {}

  /** How long a request issued at `time` takes, SlowDown retries included. */
  request(kind: RequestKind, key: string, time: number, pages = 1): number {
    this.counts[kind] += pages;
    if (kind === 'delete') return this.random.latency(S3_PUT);
    const writes = kind === 'put';
    const rate = writes ? S3_PUT_PER_S_PER_PREFIX : S3_GET_PER_S_PER_PREFIX;
    const bucketKey = `${writes ? 'w' : 'r'}:${prefixOf(key)}`;
    let waited = 0;
    for (let attempt = 0; !this.take(bucketKey, rate, time + waited); attempt++) {
      this.counts.slowDowns++;
      const cap = Math.min(S3_RETRY_MAX_MS, S3_RETRY_BASE_MS * 2 ** attempt);
      waited += this.random.latency(writes ? S3_PUT : S3_GET) + this.random.next() * cap;
    }
    return waited + this.random.latency(writes ? S3_PUT : S3_GET);
  }

  private take(key: string, perSecond: number, time: number): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: perSecond, at: time };
      this.buckets.set(key, bucket);
    }
    if (time > bucket.at) {
      bucket.tokens = Math.min(perSecond, bucket.tokens + ((time - bucket.at) * perSecond) / 1000);
      bucket.at = time;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }
}

/** The top-level folder of a job-relative key: the model's unit of S3 request-rate partitioning. */
export function prefixOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** A request a task made; its latency is added to the task's modelled duration by the invoker. */
export interface TaskRequest {
  kind: RequestKind;
  key: string;
  pages: number;
}

/** The coordinator's store: every request waits its modelled latency on the simulated clock. */
export class SimStore implements Store {
  constructor(
    private readonly inner: Store,
    readonly model: S3Model,
    private readonly clock: Clock,
  ) {}

  /** The same objects for a task: requests run at once and are only recorded. */
  forTask(requests: TaskRequest[]): Store {
    return new RecordingStore(this.inner, requests);
  }

  private wait(kind: RequestKind, key: string, pages = 1): Promise<void> {
    const now = this.clock.now();
    return this.clock.sleepUntil(now + this.model.request(kind, key, now, pages));
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.wait('put', key);
    return this.inner.put(key, body);
  }

  async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    await this.wait('put', key);
    return this.inner.putIf(key, body, condition);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    await this.wait('get', key);
    return this.inner.get(key);
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    await this.wait('get', key);
    return this.inner.getVersioned(key);
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    await this.wait('get', key);
    return this.inner.getRange(key, start, end);
  }

  async has(key: string): Promise<boolean> {
    await this.wait('head', key);
    return this.inner.has(key);
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.wait('delete', keys[0], Math.ceil(keys.length / S3_LIST_PAGE));
    return this.inner.delete(keys);
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    const entries = await this.inner.list(prefix);
    await this.wait('list', prefix, Math.max(1, Math.ceil(entries.length / S3_LIST_PAGE)));
    return entries;
  }
}

class RecordingStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly requests: TaskRequest[],
  ) {}

  private note(kind: RequestKind, key: string, pages = 1): void {
    this.requests.push({ kind, key, pages });
  }

  put(key: string, body: Uint8Array): Promise<void> {
    this.note('put', key);
    return this.inner.put(key, body);
  }

  putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    this.note('put', key);
    return this.inner.putIf(key, body, condition);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    this.note('get', key);
    return this.inner.get(key);
  }

  getVersioned(key: string): Promise<VersionedObject | undefined> {
    this.note('get', key);
    return this.inner.getVersioned(key);
  }

  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    this.note('get', key);
    return this.inner.getRange(key, start, end);
  }

  has(key: string): Promise<boolean> {
    this.note('head', key);
    return this.inner.has(key);
  }

  delete(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) this.note('delete', keys[0], Math.ceil(keys.length / S3_LIST_PAGE));
    return this.inner.delete(keys);
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    const entries = await this.inner.list(prefix);
    this.note('list', prefix, Math.max(1, Math.ceil(entries.length / S3_LIST_PAGE)));
    return entries;
  }
}
