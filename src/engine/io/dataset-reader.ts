/**
 * A dataset's objects under a store location: listed once per job and recorded in the job's store, so the
 * coordinator and every task process read exactly the same objects, and each object read at most once per
 * process (its rows are kept for every later batch).
 */
import { DatasetChangedError, DatasetEmptyError, DatasetListingError } from './dataset-errors';
import { type DatasetDecoder, decodeObject } from './dataset-format';
import { isConditionFailed } from './errors';
import type { Store } from './ports';

export interface DatasetObject {
  key: string;
  size: number;
  /** The version read when the listing was recorded (S3's ETag); a different one later is a change. */
  version: string;
}

/** What `datasets/<name>/listing.json` in the job's store holds. */
export interface DatasetListing {
  dataset: string;
  location: string;
  objects: DatasetObject[];
}

export function listingKey(dataset: string): string {
  return `datasets/${dataset}/listing.json`;
}

/** Objects read at once while recording a listing. */
const READ_AHEAD = 8;

export class DatasetReader<T> {
  private listing?: Promise<DatasetListing>;
  private readonly rows = new Map<string, Promise<T[]>>();

  constructor(
    readonly dataset: string,
    readonly location: string,
    private readonly store: Store,
    private readonly decode: DatasetDecoder<T>,
  ) {}

  /**
   * The coordinator's part, at start: the listing recorded earlier in this job (a restart), or else the
   * objects listed now and recorded create-once. Every object is read (to learn or check its version)
   * and its rows kept, so tasks in this process read nothing again.
   */
  pin(jobStore: Store): Promise<DatasetListing> {
    this.listing ??= this.recordListing(jobStore);
    this.listing.catch(() => {
      this.listing = undefined;
    });
    return this.listing;
  }

  /** The recorded listing, read once per process through `readJobObject` (a task's view of the job store). */
  recordedListing(readJobObject: ((key: string) => Promise<Uint8Array | undefined>) | undefined) {
    if (this.listing) return this.listing;
    if (!readJobObject) {
      throw new DatasetListingError(
        `dataset '${this.dataset}': this task context cannot read the job's store, so it cannot find the dataset's recorded listing`,
        { dataset: this.dataset },
      );
    }
    const reading = readJobObject(listingKey(this.dataset)).then((bytes) => {
      const listing = bytes && this.parse(bytes);
      if (!listing) {
        throw new DatasetListingError(
          `dataset '${this.dataset}' has no recorded listing (${listingKey(this.dataset)} in the job's store); the coordinator records it when the job starts, so start the job with StreamingContext.start() or runBatchJob()`,
          { dataset: this.dataset },
        );
      }
      return listing;
    });
    this.listing = reading;
    reading.catch(() => {
      if (this.listing === reading) this.listing = undefined;
    });
    return reading;
  }

  /** An object's rows, read and decoded once per process; refused if it changed since the listing. */
  rowsOf(object: DatasetObject): Promise<T[]> {
    let pending = this.rows.get(object.key);
    if (!pending) {
      pending = this.read(object);
      this.rows.set(object.key, pending);
      // A failed read (a network error) is tried again by the next task, not remembered.
      pending.catch(() => this.rows.delete(object.key));
    }
    return pending;
  }

  private async read(object: DatasetObject): Promise<T[]> {
    const found = await this.store.getVersioned(object.key);
    if (!found || found.version !== object.version) {
      const now = found ? `is now version ${found.version}` : 'is gone';
      throw new DatasetChangedError(
        `dataset '${this.dataset}' at ${this.location}: object '${object.key}' changed after the job recorded its listing (version ${object.version}, ${now}); tasks must all see the same data, so restore the object, or delete ${listingKey(this.dataset)} from the job's store to read the dataset afresh`,
        { dataset: this.dataset, key: object.key, recorded: object.version, found: found?.version },
      );
    }
    return decodeObject(this.decode, found.body, object.key, this.location);
  }

  private async recordListing(jobStore: Store): Promise<DatasetListing> {
    const key = listingKey(this.dataset);
    const recorded = await jobStore.get(key);
    if (recorded) {
      // A restart: objects changed since the listing fail the start, not a batch in the middle.
      const listing = this.parse(recorded);
      for (let i = 0; i < listing.objects.length; i += READ_AHEAD) {
        await Promise.all(listing.objects.slice(i, i + READ_AHEAD).map((object) => this.rowsOf(object)));
      }
      return listing;
    }
    const listing: DatasetListing = {
      dataset: this.dataset,
      location: this.location,
      objects: await this.readAll(await this.listObjects()),
    };
    try {
      await jobStore.putIf(key, new TextEncoder().encode(JSON.stringify(listing)), { ifAbsent: true });
      return listing;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // Another coordinator recorded it first: its listing is the job's, and rows read here may differ.
      this.rows.clear();
      const winner = await jobStore.get(key);
      if (!winner) throw error;
      return this.parse(winner);
    }
  }

  private async listObjects(): Promise<string[]> {
    let keys: string[];
    try {
      keys = (await this.store.list('')).map((entry) => entry.key).filter((k) => !k.endsWith('/'));
    } catch (error) {
      throw new DatasetEmptyError(
        `dataset '${this.dataset}': cannot list ${this.location} (${error instanceof Error ? error.message : String(error)}); check the location and its permissions`,
        { dataset: this.dataset, location: this.location },
        { cause: error },
      );
    }
    if (keys.length === 0) {
      throw new DatasetEmptyError(
        `dataset '${this.dataset}': ${this.location} is empty or missing, so every join with it would match nothing; put the dataset's objects there first, or fix the location`,
        { dataset: this.dataset, location: this.location },
      );
    }
    return keys;
  }

  /** Reads every object (a few at a time) for its version, keeping its rows. */
  private async readAll(keys: string[]): Promise<DatasetObject[]> {
    const objects: DatasetObject[] = [];
    for (let i = 0; i < keys.length; i += READ_AHEAD) {
      const batch = await Promise.all(
        keys.slice(i, i + READ_AHEAD).map(async (key) => {
          const found = await this.store.getVersioned(key);
          if (!found) {
            throw new DatasetChangedError(
              `dataset '${this.dataset}' at ${this.location}: object '${key}' was deleted while the job listed it; start the job again`,
              { dataset: this.dataset, key },
            );
          }
          const object = { key, size: found.body.length, version: found.version };
          this.rows.set(key, Promise.resolve(decodeObject(this.decode, found.body, key, this.location)));
          return object;
        }),
      );
      objects.push(...batch);
    }
    return objects;
  }

  private parse(bytes: Uint8Array): DatasetListing {
    try {
      const listing = JSON.parse(new TextDecoder().decode(bytes)) as DatasetListing;
      if (!Array.isArray(listing?.objects)) throw new Error('it has no objects array');
      return listing;
    } catch (error) {
      throw new DatasetListingError(
        `dataset '${this.dataset}': ${listingKey(this.dataset)} in the job's store is not a listing (${error instanceof Error ? error.message : String(error)}); delete it to list the dataset afresh`,
        { dataset: this.dataset },
        { cause: error },
      );
    }
  }
}

/**
 * Objects assigned to `partitions` partitions in key order, each to the partition with the fewest bytes
 * so far (the lowest index on ties): balanced by size, and the same in every process.
 */
export function assignObjects(objects: readonly DatasetObject[], partitions: number): DatasetObject[][] {
  const groups: DatasetObject[][] = Array.from({ length: partitions }, () => []);
  const bytes = new Array<number>(partitions).fill(0);
  for (const object of objects) {
    let target = 0;
    for (let p = 1; p < partitions; p++) if (bytes[p] < bytes[target]) target = p;
    groups[target].push(object);
    bytes[target] += object.size;
  }
  return groups;
}
