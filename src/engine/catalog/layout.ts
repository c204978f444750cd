import type { Store, StoreEntry, VersionedObject, WriteCondition } from '../io/ports';

/**
 * Where a job's metadata lives, relative to its store. Everything here is durable: the job's identity,
 * its lease, the batch manifests a restart resumes from, sink output and dead letters. Transient batch
 * data (`batches/`, see plan/keys.ts) is routed elsewhere by `jobStoreIn`, so a bucket lifecycle rule can
 * expire it without ever touching what a job needs to resume.
 */
export const JOB_KEY = 'job.json';
export const LEASE_KEY = 'lease.json';
export const MANIFEST_PREFIX = 'manifests/';
export const TRANSIENT_PREFIX = 'batches/';

export function padTime(time: number): string {
  return String(time).padStart(15, '0');
}

export function manifestKey(time: number): string {
  return `${MANIFEST_PREFIX}${padTime(time)}.json`;
}

export function manifestTimeOf(key: string): number {
  return Number(key.slice(MANIFEST_PREFIX.length, -'.json'.length));
}

/**
 * A store sink's output: one object per batch (written once, whole, so it proves the batch complete), or
 * one object per batch and partition followed by the batch's commit marker.
 */
export const SINK_COMMIT_MARKER = '_COMMITTED';
export const SINK_BATCH_OBJECT = 'batch.jsonl';

export function sinkPrefix(sink: string): string {
  return `sinks/${sink}/`;
}

export function sinkPartKey(sink: string, time: number, partition: number): string {
  return `${sinkPrefix(sink)}${padTime(time)}/part-${String(partition).padStart(5, '0')}.jsonl`;
}

export function sinkBatchKey(sink: string, time: number): string {
  return `${sinkPrefix(sink)}${padTime(time)}/${SINK_BATCH_OBJECT}`;
}

export function sinkMarkerKey(sink: string, time: number): string {
  return `${sinkPrefix(sink)}${padTime(time)}/${SINK_COMMIT_MARKER}`;
}

/** Records a source could not decode, one object per batch, stream and shard. */
export function sourceDeadLetterKey(streamId: number, time: number, shard: string): string {
  return `${sourceDeadLetterPrefix(streamId, time)}${shard}.json`;
}

export function sourceDeadLetterPrefix(streamId: number, time: number): string {
  return `deadletters/${padTime(time)}/s${streamId}/`;
}

/** Records that made user code fail, one object per batch, stage node and partition. */
export function poisonDeadLetterKey(time: number, node: string, partition: number): string {
  return `deadletters/${padTime(time)}/poison/${node}/${partition}.json`;
}

/**
 * A job's view of the root store: metadata and output under `jobs/<job>/`, transient batch data under
 * `transient/<job>/` (the only prefix a lifecycle rule expires).
 */
export function jobStoreIn(root: Store, job: string): Store {
  return new JobStore(root, `jobs/${job}/`, `transient/${job}/`);
}

class JobStore implements Store {
  constructor(
    private readonly root: Store,
    private readonly durable: string,
    private readonly transient: string,
  ) {}

  private at(key: string): string {
    return (key.startsWith(TRANSIENT_PREFIX) ? this.transient : this.durable) + key;
  }

  put(key: string, body: Uint8Array): Promise<void> {
    return this.root.put(this.at(key), body);
  }

  putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    return this.root.putIf(this.at(key), body, condition);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.root.get(this.at(key));
  }

  getVersioned(key: string): Promise<VersionedObject | undefined> {
    return this.root.getVersioned(this.at(key));
  }

  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    return this.root.getRange(this.at(key), start, end);
  }

  has(key: string): Promise<boolean> {
    return this.root.has(this.at(key));
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.root.delete(keys.map((key) => this.at(key)));
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    const strip = (base: string) => (entries: StoreEntry[]) =>
      entries.map((e) => ({ ...e, key: e.key.slice(base.length) }));
    const parts: Promise<StoreEntry[]>[] = [];
    // A prefix of 'batches/' (or '') may match both areas; one inside it only the transient one.
    if (prefix.startsWith(TRANSIENT_PREFIX) || TRANSIENT_PREFIX.startsWith(prefix)) {
      const inner = prefix.startsWith(TRANSIENT_PREFIX) ? prefix : TRANSIENT_PREFIX;
      parts.push(this.root.list(this.transient + inner).then(strip(this.transient)));
    }
    if (!prefix.startsWith(TRANSIENT_PREFIX)) {
      parts.push(
        this.root
          .list(this.durable + prefix)
          .then(strip(this.durable))
          .then((entries) => entries.filter((e) => !e.key.startsWith(TRANSIENT_PREFIX))),
      );
    }
    const entries = (await Promise.all(parts)).flat();
    return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
