import { SourceError } from './errors';
import { type BadRecord, decodeObject, type ObjectDecoder, type ObjectFormat } from './object-formats';
import type {
  DeadLetter,
  ObjectRangeState,
  ObjectRef,
  Source,
  SourceBatch,
  SourceInterval,
  SourceRange,
  Store,
  StoreEntry,
} from './ports';

export interface ObjectStreamSourceOptions<T> {
  /** How each object becomes records (default 'lines'); `decode` wins when both are given. */
  format?: ObjectFormat;
  decode?: ObjectDecoder<T>;
  /**
   * How long (ms) after its write time an object may first appear in listings and still be read: longer
   * than the slowest upload (S3 dates an object by when its upload started) plus the clock skew between
   * the store and the coordinator. Every object taken within it is remembered in each batch manifest.
   */
  lookbackMs: number;
  /**
   * Objects already under the prefix when the stream starts (written before its first interval):
   * `'skip'` (default, as Spark's textFileStream) or `'read'` them in the first batches.
   */
  existing?: 'skip' | 'read';
  /** At most this many objects per batch (default: all that arrived); the rest wait, oldest first. */
  maxObjectsPerBatch?: number;
}

/** Objects read at once by a batch. */
const READ_CONCURRENCY = 8;

/**
 * New objects under a store prefix as a stream (Spark's FileInputDStream). Batch T takes every object
 * listed at its read that was written at or before T and not taken before, and records them in its
 * manifest, so a replay reads exactly those objects and the next batch continues after them.
 *
 * Listings are not in arrival order and S3's LastModified is when an upload started, so a cursor on
 * time or key would skip objects. Instead an object is new unless it is remembered (key and write time)
 * or older than the floor: the batch time minus the lookback. An object whose upload took longer than
 * the lookback is older than the floor by the time it appears and is not read: the one limit, so the
 * lookback must exceed the slowest upload. Keys whose name (any path segment) starts with '_' or '.' are
 * not data (Hadoop's rule, which Athena follows: `_SUCCESS`, `.tmp` files, `_staging/`).
 * An object written again under its key gets a new write time and is read again as a new object.
 * Every batch lists the whole prefix (S3: one LIST request per 1,000 keys), so keep it small: expire
 * objects already read with a lifecycle rule, or point the stream at a narrower prefix.
 */
export class ObjectStreamSource<T> implements Source<T> {
  private readonly how: ObjectFormat | ObjectDecoder<T>;

  constructor(
    readonly name: string,
    private readonly store: Store,
    private readonly options: ObjectStreamSourceOptions<T>,
  ) {
    this.how = options.decode ?? options.format ?? 'lines';
  }

  async read(interval: SourceInterval, after: readonly SourceRange[] | undefined): Promise<SourceBatch<T>> {
    // The input's one range, found by its objects rather than its name, so renaming the stream (its
    // `name` option) neither forgets what was read nor reads it again.
    const previousRange = after?.find((range) => range.objects !== undefined);
    const previous = previousRange?.objects;
    const floor = previous?.floor ?? this.firstFloor(interval);
    const remembered = previous?.remembered ?? {};
    const listed = (await this.store.list('')).filter((entry) => isData(entry.key));
    const fresh = listed
      .map((entry) => this.refOf(entry))
      .filter((ref) => ref.modified >= floor && remembered[ref.key] !== ref.modified)
      .sort(oldestFirst);
    // Sorted by write time, so the objects due by the batch time come first.
    const due = fresh.filter((ref) => ref.modified <= interval.batchTime);
    const taken = due.slice(0, this.options.maxObjectsPerBatch ?? due.length);
    const waiting = fresh.slice(taken.length);
    const { records, deadLetters } = await this.readObjects(taken);
    const state = this.nextState(interval, floor, remembered, taken, waiting);
    return {
      records,
      ranges: [
        {
          shard: this.name,
          first: taken[0]?.key ?? '',
          last: taken.at(-1)?.key ?? previousRange?.last ?? '',
          count: records.length,
          objects: state,
        },
      ],
      ...(deadLetters.length > 0 ? { deadLetters } : {}),
    };
  }

  async replay(ranges: readonly SourceRange[], interval: SourceInterval): Promise<T[]> {
    return (await this.readObjects(this.takenIn(ranges, interval))).records;
  }

  async replayDeadLetters(ranges: readonly SourceRange[], interval: SourceInterval): Promise<DeadLetter[]> {
    return (await this.readObjects(this.takenIn(ranges, interval))).deadLetters;
  }

  /** The first batch starts at the stream's start, or before every object when existing ones are read. */
  private firstFloor(interval: SourceInterval): number {
    return this.options.existing === 'read'
      ? Number.NEGATIVE_INFINITY
      : interval.batchTime - interval.intervalMs * (interval.batchIndex + 1);
  }

  /**
   * The floor moves up to the batch time minus the lookback, but never past an object still waiting (a
   * capped batch), and the remembered objects are those at or after it.
   */
  private nextState(
    interval: SourceInterval,
    floor: number,
    remembered: Record<string, number>,
    taken: readonly ObjectRef[],
    waiting: readonly ObjectRef[],
  ): ObjectRangeState {
    const oldestWaiting = waiting.reduce((min, ref) => Math.min(min, ref.modified), Number.POSITIVE_INFINITY);
    const next = Math.max(floor, Math.min(interval.batchTime - this.options.lookbackMs, oldestWaiting));
    const kept: Record<string, number> = {};
    for (const [key, modified] of Object.entries(remembered)) if (modified >= next) kept[key] = modified;
    for (const ref of taken) if (ref.modified >= next) kept[ref.key] = ref.modified;
    return { taken: [...taken], floor: next, remembered: kept };
  }

  private takenIn(ranges: readonly SourceRange[], interval: SourceInterval): ObjectRef[] {
    const objects = ranges.find((range) => range.objects !== undefined)?.objects;
    if (!objects) {
      throw new SourceError(
        `object stream '${this.name}': the manifest of batch ${interval.batchTime} records no objects for it, so its input cannot be read again`,
        { source: this.name, batchTime: interval.batchTime },
      );
    }
    return objects.taken;
  }

  /** Reads and decodes objects, a few at a time, keeping their order. */
  private async readObjects(
    refs: readonly ObjectRef[],
  ): Promise<{ records: T[]; deadLetters: DeadLetter[] }> {
    const decoded = new Array<{ records: T[]; bad: BadRecord[] }>(refs.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < refs.length; i = next++) {
        decoded[i] = decodeObject(refs[i].key, await this.fetch(refs[i]), this.how);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, refs.length) }, worker));
    const records: T[] = [];
    const deadLetters: DeadLetter[] = [];
    for (const part of decoded) {
      for (const record of part.records) records.push(record);
      for (const bad of part.bad) deadLetters.push({ shard: this.name, ...bad });
    }
    return { records, deadLetters };
  }

  /** An object's bytes, checked against the listing that took it: a replay must read the same object. */
  private async fetch(ref: ObjectRef): Promise<Uint8Array> {
    const bytes = await this.store.get(ref.key);
    if (bytes === undefined || bytes.length !== ref.size) {
      const what = bytes === undefined ? 'is gone' : `now has ${bytes.length} bytes, not ${ref.size}`;
      throw new SourceError(
        `object stream '${this.name}': object ${JSON.stringify(ref.key)} ${what}; objects a stream read must stay unchanged while the job may replay them (until the next checkpoint)`,
        { source: this.name, key: ref.key, size: ref.size },
      );
    }
    return bytes;
  }

  private refOf(entry: StoreEntry): ObjectRef {
    if (entry.modified === undefined) {
      throw new SourceError(
        `object stream '${this.name}': the store does not say when ${JSON.stringify(entry.key)} was written, so new objects cannot be told from old; use an S3 location, a directory or a MemoryStore`,
        { source: this.name, key: entry.key },
      );
    }
    return { key: entry.key, size: entry.size, modified: entry.modified };
  }
}

/** Hidden and bookkeeping objects (`_SUCCESS`, `.part.tmp`, `_staging/...`), as Hadoop and Athena skip them. */
export function isData(key: string): boolean {
  return !key.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'));
}

/** Arrival order as far as it is known (write time), then key: the order a capped backlog drains in. */
function oldestFirst(a: ObjectRef, b: ObjectRef): number {
  return a.modified - b.modified || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}
