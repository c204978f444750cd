/**
 * One engine run of a paper workload: the job module on the embedded runtime at a given input rate,
 * batches back to back on an auto-advancing manual clock, each batch's wall-clock processing time and
 * store requests recorded.
 */
import { resolve } from 'node:path';
import { ManualClock, MemoryStore } from '../../src/engine';
import type { Store, StoreEntry, VersionedObject, WriteCondition } from '../../src/engine/io/ports';
import { type EmbeddedRuntime, startEmbedded } from '../../src/engine/runtime';
import { RATE_ENV, type Workload } from './workloads';

export interface EngineRunOptions {
  workload: Workload;
  runtime: EmbeddedRuntime;
  workers: number;
  /** Records per second of stream time (1 s batches: records per batch). */
  rate: number;
  batches: number;
}

export interface EngineRun {
  /** Wall-clock time from the end of the previous batch (or the start) to the end of each batch. */
  processingMs: number[];
  records: number[];
  /** Store calls (S3 requests on AWS) made during each batch. */
  requests: number[];
  /** Highest resident set size sampled during the run (the process: coordinator and worker threads). */
  peakRssBytes: number;
}

export async function runEngine(options: EngineRunOptions): Promise<EngineRun> {
  // Worker threads copy the environment when they start, so they see the same rate as this process.
  process.env[RATE_ENV] = String(options.rate);
  const store = new RequestCountingStore(new MemoryStore());
  const run: EngineRun = { processingMs: [], records: [], requests: [], peakRssBytes: 0 };
  const sampleRss = () => {
    run.peakRssBytes = Math.max(run.peakRssBytes, process.memoryUsage.rss());
  };
  const sampler = setInterval(sampleRss, 50);
  let last = process.hrtime.bigint();
  let lastRequests = 0;
  const job = startEmbedded({
    jobModule: resolve(__dirname, `../jobs/paper-${options.workload}.ts`),
    runtime: options.runtime,
    workers: options.workers,
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    batches: options.batches,
    log: () => undefined,
    onBatch: (info) => {
      const now = process.hrtime.bigint();
      run.processingMs.push(Number(now - last) / 1e6);
      run.records.push(info.records);
      run.requests.push(store.requests - lastRequests);
      last = now;
      lastRequests = store.requests;
      sampleRss();
    },
  });
  try {
    await job.done;
  } finally {
    clearInterval(sampler);
  }
  sampleRss();
  return run;
}

/** Counts every call as the S3 request it would be (one DeleteObjects per delete call). */
class RequestCountingStore implements Store {
  requests = 0;
  constructor(private readonly inner: Store) {}
  put(key: string, body: Uint8Array): Promise<void> {
    this.requests++;
    return this.inner.put(key, body);
  }
  get(key: string): Promise<Uint8Array | undefined> {
    this.requests++;
    return this.inner.get(key);
  }
  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    this.requests++;
    return this.inner.getRange(key, start, end);
  }
  has(key: string): Promise<boolean> {
    this.requests++;
    return this.inner.has(key);
  }
  delete(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) this.requests += Math.ceil(keys.length / 1000);
    return this.inner.delete(keys);
  }
  list(prefix: string): Promise<StoreEntry[]> {
    this.requests++;
    return this.inner.list(prefix);
  }
  putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    this.requests++;
    return this.inner.putIf(key, body, condition);
  }
  getVersioned(key: string): Promise<VersionedObject | undefined> {
    this.requests++;
    return this.inner.getVersioned(key);
  }
}
