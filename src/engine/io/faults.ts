/**
 * Fault injection for the chaos suite and recovery benchmarks: off unless wired in explicitly. Every
 * decision comes from a seeded generator, so a failing seed can be replayed.
 */
import { InvokeError } from './errors';
import type { InvokeOptions, Invoker, Store, StoreEntry, VersionedObject, WriteCondition } from './ports';

/** A small, fast, seedable PRNG (mulberry32); Math.random cannot be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface InvokerFaults {
  /** Probability that an attempt fails (half before running, half after running: a lost reply). */
  taskFailure: number;
  /** Probability that an attempt straggles, and by how much. */
  straggler: number;
  stragglerDelayMs: number;
}

export interface FaultCounts {
  taskFailures: number;
  stragglers: number;
  lostObjects: number;
}

/** Wraps an invoker: some attempts fail, some are slow. */
export class FaultyInvoker<Req, Res> implements Invoker<Req, Res> {
  constructor(
    private readonly inner: Invoker<Req, Res>,
    private readonly faults: InvokerFaults,
    private readonly random: () => number,
    readonly counts: FaultCounts,
  ) {}

  get parallelism(): number {
    return this.inner.parallelism;
  }

  async invoke(request: Req, options?: InvokeOptions): Promise<Res> {
    const roll = this.random();
    const straggle = this.random() < this.faults.straggler;
    if (roll < this.faults.taskFailure / 2) {
      this.counts.taskFailures++;
      throw new InvokeError('injected fault: the task instance died before running');
    }
    if (straggle) {
      this.counts.stragglers++;
      await new Promise((resolve) => setTimeout(resolve, this.faults.stragglerDelayMs));
    }
    const result = await this.inner.invoke(request, options);
    if (roll < this.faults.taskFailure) {
      this.counts.taskFailures++;
      throw new InvokeError('injected fault: the task ran but its reply was lost');
    }
    return result;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Picks which cached objects are lost when a batch commits. */
export type LossPlan = (cached: readonly StoreEntry[], committedBatch: number) => string[];

/** Loses each cached object with probability `fraction`. */
export function randomLoss(fraction: number, random: () => number): LossPlan {
  return (cached) => cached.filter(() => random() < fraction).map((e) => e.key);
}

/**
 * A store that loses cached data (cached partitions, shuffle files, input blocks) right after a batch
 * commits: what a lost worker or an evicted cache looks like to lineage. Checkpoints, manifests, sinks
 * and the lease are the reliable part and are never lost.
 */
export class LossyStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly plan: LossPlan,
    readonly counts: FaultCounts,
  ) {}

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.inner.put(key, body);
    await this.afterWrite(key, body);
  }

  private async afterWrite(key: string, body: Uint8Array): Promise<void> {
    const committed = /^manifests\/(\d+)\.json$/.exec(key);
    if (committed && new TextDecoder().decode(body).includes('"status":"committed"')) {
      await this.loseSome(Number(committed[1]));
    }
  }

  async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    const version = await this.inner.putIf(key, body, condition);
    await this.afterWrite(key, body);
    return version;
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

  private async loseSome(committedBatch: number): Promise<void> {
    const cached = (await this.inner.list('batches/')).filter((e) =>
      /\/(stored|shuffle|input)\//.test(e.key),
    );
    const lost = this.plan(cached, committedBatch);
    if (lost.length === 0) return;
    this.counts.lostObjects += lost.length;
    await this.inner.delete(lost);
  }
}
