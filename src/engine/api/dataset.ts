/**
 * Job-level datasets (Spark's `textFile` / `parallelize` as used next to a stream): rows that do not
 * depend on the batch time, usable as an RDD in any batch. A dataset's rows are read once per process and
 * kept, so a stream joined with it every interval reads the store once, not once per batch.
 */

import { InvalidGraphError } from '../graph';
import { type DatasetDecoder, type DatasetFormat, decoderFor } from '../io/dataset-format';
import { assignObjects, type DatasetObject, DatasetReader } from '../io/dataset-reader';
import type { Store } from '../io/ports';
import { storeFrom } from '../io/store-location';
import {
  type BroadcastTable,
  checkPartitions,
  type DatasetLayout,
  DatasetNode,
  type DatasetPartitions,
  RDD,
  type TaskContext,
} from '../plan';
import { keyIdentity, partitionOf } from '../util/hash';
import { remembered } from '../util/remembered';
import { splitEvenly } from '../util/split';

export type { DatasetDecoder, DatasetFormat };

export interface DatasetOptions<T> {
  /** `lines` (default): one string per non-empty line; `jsonl`: one parsed value per non-empty line; `text`: one string per object. */
  format?: DatasetFormat;
  /** Turns one object's bytes into rows; replaces `format`. */
  decode?: DatasetDecoder<T>;
  /** Partitions of `rdd()` and of joins with it (default: the context's partitions). */
  partitions?: number;
  /** Names the dataset in the job's store and in errors (default `dataset-<n>`). */
  name?: string;
}

/** Where a dataset's rows come from: objects in a store, or values in job code. */
interface RowOrigin<T> {
  /** The rows of partition `partition` of `partitions`, objects kept whole. */
  partition(partition: number, partitions: number, ctx: TaskContext): Promise<T[]>;
  /** Every row, in a fixed order. */
  all(ctx: TaskContext): Promise<T[]>;
  /** Records what the job reads (the coordinator, once at start). */
  pin?(jobStore: Store): Promise<unknown>;
}

/** A dataset that does not change with the batch time; use `rdd()` inside transform, foreachBatch or a batch job's build. */
export class Dataset<T> implements DatasetPartitions<T>, BroadcastTable<unknown> {
  private readonly byKey = new Map<string, Promise<T[][]>>();
  private keyIndex?: Promise<ReadonlyMap<unknown, unknown[]>>;

  constructor(
    readonly name: string,
    readonly numPartitions: number,
    private readonly origin: RowOrigin<T>,
  ) {}

  /** The dataset as an RDD of `numPartitions` partitions (each object's rows in one partition). */
  rdd(): RDD<T> {
    return new RDD(new DatasetNode<T>(this, this.numPartitions, 'objects'));
  }

  /**
   * The dataset's `[key, value]` rows hash-partitioned by key into `partitions`: a join or cogroup with
   * the same partition count reads it without a shuffle. Every process computing it loads the whole
   * dataset (once).
   */
  keyedRdd(partitions = this.numPartitions): RDD<T> {
    checkPartitions(partitions, `dataset '${this.name}' keyedRdd`);
    return new RDD(new DatasetNode<T>(this, partitions, 'byKey'));
  }

  /** Records the listing the job reads (called by the context when it starts). */
  async pin(jobStore: Store): Promise<void> {
    await this.origin.pin?.(jobStore);
  }

  partition(partition: number, partitions: number, layout: DatasetLayout, ctx: TaskContext): Promise<T[]> {
    if (layout === 'objects') return this.origin.partition(partition, partitions, ctx);
    return this.keyed(partitions, ctx).then((parts) => parts[partition]);
  }

  /** Every `[key, value]` row by key identity, for map-side (broadcast) joins. */
  index(ctx: TaskContext): Promise<ReadonlyMap<unknown, unknown[]>> {
    this.keyIndex ??= this.origin.all(ctx).then((rows) => {
      const index = new Map<unknown, unknown[]>();
      for (const row of rows) {
        const [key, value] = this.pairOf(row);
        const id = keyIdentity(key);
        const matches = index.get(id);
        if (matches) matches.push(value);
        else index.set(id, [value]);
      }
      return index;
    });
    this.keyIndex.catch(() => {
      this.keyIndex = undefined;
    });
    return this.keyIndex;
  }

  private keyed(partitions: number, ctx: TaskContext): Promise<T[][]> {
    const pending = remembered(this.byKey, String(partitions), async () => {
      const parts: T[][] = Array.from({ length: partitions }, () => []);
      for (const row of await this.origin.all(ctx)) {
        parts[partitionOf(this.pairOf(row)[0], partitions)].push(row);
      }
      return parts;
    });
    pending.catch(() => this.byKey.delete(String(partitions)));
    return pending;
  }

  private pairOf(row: T): [unknown, unknown] {
    if (!Array.isArray(row) || row.length < 2) {
      throw new InvalidGraphError(
        `dataset '${this.name}' is joined by key, so its rows must be [key, value] pairs, got ${JSON.stringify(row)?.slice(0, 100)}; map it to pairs in decode`,
        { dataset: this.name },
      );
    }
    return row as unknown as [unknown, unknown];
  }
}

/** Builds the datasets of one context; StreamingContext and BatchContext both create theirs here. */
export class DatasetRegistry {
  readonly datasets: Dataset<unknown>[] = [];

  constructor(private readonly defaultPartitions: number) {}

  fromStore<T>(location: string | Store, options: DatasetOptions<T> = {}): Dataset<T> {
    const name = this.nameOf(options.name);
    const partitions = this.partitionsOf(options.partitions, name);
    const where = typeof location === 'string' ? location : `the store given to dataset '${name}'`;
    const store =
      typeof location === 'string'
        ? storeFrom(
            location,
            process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL,
            `dataset '${name}' location`,
          )
        : location;
    if (typeof store?.getVersioned !== 'function') {
      throw new InvalidGraphError(
        `dataset '${name}': location must be a string such as 's3://bucket/prefix/' or './data', or a Store`,
        { dataset: name },
      );
    }
    const decode = options.decode ?? decoderFor<T>(options.format ?? 'lines', where);
    return this.add(
      new Dataset(name, partitions, new StoreOrigin(new DatasetReader(name, where, store, decode))),
    );
  }

  fromValues<T>(values: readonly T[], partitions?: number): Dataset<T> {
    if (!Array.isArray(values)) {
      throw new InvalidGraphError('parallelize needs an array of values, e.g. parallelize([1, 2, 3])');
    }
    const name = this.nameOf(undefined);
    const count = this.partitionsOf(partitions, name);
    // A copy: job code changing its array later must not change what other processes compute.
    return this.add(new Dataset(name, count, new ValuesOrigin([...values])));
  }

  /** Records every dataset's listing in the job's store before the first batch (or finds it recorded). */
  async pinAll(jobStore: Store): Promise<void> {
    await Promise.all(this.datasets.map((dataset) => dataset.pin(jobStore)));
  }

  private add<T>(dataset: Dataset<T>): Dataset<T> {
    this.datasets.push(dataset as Dataset<unknown>);
    return dataset;
  }

  private nameOf(given: string | undefined): string {
    const name = given ?? `dataset-${this.datasets.length}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      throw new InvalidGraphError(
        `dataset name '${name}' must be letters, digits, '.', '_' or '-' (it names store keys)`,
        { dataset: name },
      );
    }
    if (this.datasets.some((d) => d.name === name)) {
      throw new InvalidGraphError(`two datasets are named '${name}'; give each its own name`, {
        dataset: name,
      });
    }
    return name;
  }

  private partitionsOf(partitions: number | undefined, name: string): number {
    const count = partitions ?? this.defaultPartitions;
    checkPartitions(count, `dataset '${name}'`);
    return count;
  }
}

class StoreOrigin<T> implements RowOrigin<T> {
  private readonly groups = new Map<number, DatasetObject[][]>();

  constructor(private readonly reader: DatasetReader<T>) {}

  pin(jobStore: Store): Promise<unknown> {
    return this.reader.pin(jobStore);
  }

  async partition(partition: number, partitions: number, ctx: TaskContext): Promise<T[]> {
    const objects = await this.objects(ctx);
    let groups = this.groups.get(partitions);
    if (!groups) {
      groups = assignObjects(objects, partitions);
      this.groups.set(partitions, groups);
    }
    return this.rowsOf(groups[partition]);
  }

  async all(ctx: TaskContext): Promise<T[]> {
    return this.rowsOf(await this.objects(ctx));
  }

  private async objects(ctx: TaskContext): Promise<DatasetObject[]> {
    const read = ctx.readJobObject ? (key: string) => ctx.readJobObject!(key) : undefined;
    return (await this.reader.recordedListing(read)).objects;
  }

  private async rowsOf(objects: readonly DatasetObject[]): Promise<T[]> {
    const rows: T[] = [];
    for (const part of await Promise.all(objects.map((object) => this.reader.rowsOf(object)))) {
      for (const row of part) rows.push(row);
    }
    return rows;
  }
}

class ValuesOrigin<T> implements RowOrigin<T> {
  constructor(private readonly values: readonly T[]) {}

  async partition(partition: number, partitions: number): Promise<T[]> {
    return splitEvenly(this.values, partitions)[partition];
  }

  async all(): Promise<T[]> {
    return this.values as T[];
  }
}
