/**
 * Where the dashboard's batches come from: the job's store, read back on request, and a stream of new
 * manifests pushed as batches end. In the job's own process the listener bus pushes each batch the moment
 * it commits or fails; anywhere else (another terminal, a deployed job on S3) the store is polled once a
 * batch interval, since manifests are the only thing a remote job leaves behind.
 */
import { type BatchManifest, JobCatalog, type JobState } from '../catalog';
import type { Store } from '../io/ports';
import type { StreamingListener } from '../schedule/listener-bus';

export type ManifestSubscriber = (manifest: BatchManifest) => void;

export interface JobOverview {
  job: string;
  batchMs?: number;
  zeroTime?: number;
  lease?: { owner: string; epoch: number; expiresAt: number; held: boolean };
  /** How batches reach the page: pushed by the running job, or polled from the store. */
  updates: 'live' | 'polling';
}

export class ManifestFeed {
  private readonly catalog: JobCatalog;
  private readonly subscribers = new Set<ManifestSubscriber>();
  /** The last status pushed per batch time, so a poll pushes each batch once it ends, and only once. */
  private readonly pushed = new Map<number, BatchManifest['status']>();
  private pollTimer?: NodeJS.Timeout;
  private closed = false;
  /** Batches up to this time had ended before polling started (the page loads them itself). */
  private floor = Number.NEGATIVE_INFINITY;
  private updates: JobOverview['updates'] = 'polling';

  constructor(
    store: Store,
    readonly job: string,
  ) {
    this.catalog = new JobCatalog(store);
  }

  readJob(): Promise<JobState | undefined> {
    return this.catalog.readJob();
  }

  async overview(now = Date.now()): Promise<JobOverview> {
    const [state, lease] = await Promise.all([this.catalog.readJob(), this.catalog.readLease()]);
    return {
      job: this.job,
      batchMs: state?.batchMs,
      zeroTime: state?.zeroTime,
      lease: lease && {
        owner: lease.value.owner,
        epoch: lease.value.epoch,
        expiresAt: lease.value.expiresAt,
        held: lease.value.released !== true && lease.value.expiresAt > now,
      },
      updates: this.updates,
    };
  }

  async manifestTimes(): Promise<number[]> {
    return (await this.catalog.manifestTimes()).sort((a, b) => a - b);
  }

  /** The newest `last` manifests, oldest first (the order the charts draw them). */
  async recent(last: number): Promise<BatchManifest[]> {
    const times = (await this.manifestTimes()).slice(-last);
    const manifests = await Promise.all(times.map((time) => this.manifest(time)));
    return manifests.filter((m): m is BatchManifest => m !== undefined);
  }

  async manifest(batchTime: number): Promise<BatchManifest | undefined> {
    return (await this.catalog.readManifest(batchTime))?.value;
  }

  subscribe(subscriber: ManifestSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** A listener for the job's bus: pushes every batch as it completes or fails. */
  liveListener(): StreamingListener {
    this.updates = 'live';
    return {
      onBatchCompleted: (event) => this.push(event.manifest),
      // The failed manifest is in the store by the time the failure is posted; read it for its stages.
      onBatchFailed: async (event) => {
        const manifest = await this.manifest(event.batchTime);
        if (manifest && manifest.status !== 'running') this.push(manifest);
      },
    };
  }

  /**
   * Polls the store every `intervalMs` and pushes each batch that ends after this call: the batches
   * already ended are what the page loads at start, so only the newest one (it may be running) is read.
   */
  async startPolling(intervalMs: number, onError: (error: unknown) => void): Promise<void> {
    const times = await this.manifestTimes();
    this.floor = times.at(-1) ?? Number.NEGATIVE_INFINITY;
    const newest = times.length > 0 ? await this.manifest(this.floor) : undefined;
    if (newest) this.pushed.set(newest.batchTime, newest.status);
    const poll = async () => {
      try {
        await this.pollOnce();
      } catch (error) {
        onError(error);
      }
      if (!this.closed) this.pollTimer = setTimeout(poll, intervalMs);
    };
    if (!this.closed) this.pollTimer = setTimeout(poll, intervalMs);
  }

  private async pollOnce(): Promise<void> {
    const times = await this.manifestTimes();
    // A failed batch may still be retried and commit: it is read again until it does.
    const unseen = times.filter((time) =>
      time > this.floor ? this.pushed.get(time) !== 'committed' : this.pushed.get(time) === 'running',
    );
    for (const time of unseen) {
      const manifest = await this.manifest(time);
      if (manifest && manifest.status !== 'running') this.push(manifest);
    }
  }

  close(): void {
    this.closed = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.subscribers.clear();
  }

  private push(manifest: BatchManifest): void {
    if (this.closed || this.pushed.get(manifest.batchTime) === manifest.status) return;
    this.pushed.set(manifest.batchTime, manifest.status);
    for (const subscriber of this.subscribers) subscriber(manifest);
  }
}
