import { manifestKey } from '../catalog/layout';
import { sourceDeadLetterObjects } from '../catalog/source-dead-letters';
import type { Store } from '../io/ports';
import {
  checkpointKey,
  type InputRange,
  inputBlockKey,
  type LineageNode,
  type ShuffleDependency,
  type SourceRead,
  shuffleFileKey,
  storedPartKey,
  type TaskContext,
} from '../plan';
import { remembered } from '../util/remembered';
import { readPackedCheckpoint } from './checkpoint-pack';
import { decodeRows, decodeShuffleHeader, encodeRows, headerLength } from './codec';
import { MissingDataError } from './errors';
import type { PersistedPart, SourceReadReport, TaskInputs } from './task-spec';

export interface TaskContextOptions {
  /** What the coordinator shipped with the task (see TaskInputs). */
  inputs?: TaskInputs;
  /** Bytes of output the task may send back instead of writing them to the store. */
  inlineBytes?: number;
  /** Partitions tasks already computed, encoded, by node id (driver code run on the coordinator). */
  precomputed?: ReadonlyMap<string, readonly Uint8Array[]>;
}

/**
 * A task's view of its data: what the coordinator shipped with it first, the store for the rest. Data of
 * the task's own batch that was not shipped has not been computed yet, so it is never looked up.
 * Persisted partitions the task computes go back to the coordinator, checkpoints included (the coordinator
 * saves those); only what does not fit the result goes to the store from here.
 */
export class StoreTaskContext implements TaskContext {
  private readonly inputs: TaskInputs;
  private inlineLeft: number;
  private readonly precomputedParts: ReadonlyMap<string, readonly Uint8Array[]>;
  /** Persisted partitions computed by this task, for its result. */
  readonly persisted: PersistedPart[] = [];

  constructor(
    readonly batchTime: number,
    private readonly store: Store,
    options: TaskContextOptions = {},
  ) {
    this.inputs = options.inputs ?? {};
    this.inlineLeft = options.inlineBytes ?? 0;
    this.precomputedParts = options.precomputed ?? new Map();
  }

  /** Takes `size` bytes of the result's budget; false (and nothing taken) when they do not fit. */
  claimInline(size: number): boolean {
    if (size > this.inlineLeft) return false;
    this.inlineLeft -= size;
    return true;
  }

  precomputed(node: LineageNode<unknown>, partition: number): Promise<unknown[]> | undefined {
    const bytes = this.precomputedParts.get(node.id)?.[partition];
    // Decoded on every read: driver code may change the rows it gets, as a recomputation would allow.
    return bytes ? Promise.resolve(decodeRows(bytes, `${node.id} partition ${partition}`)) : undefined;
  }

  async readInputBlock(streamId: number, time: number, partition: number): Promise<unknown[] | undefined> {
    const key = inputBlockKey(streamId, time, partition);
    const bytes = await this.store.get(key);
    return bytes ? decodeRows(bytes, key) : undefined;
  }

  async writeInputBlock(streamId: number, time: number, partition: number, rows: unknown[]): Promise<void> {
    await this.store.put(inputBlockKey(streamId, time, partition), encodeRows(rows));
  }

  async readInputRanges(streamId: number, time: number): Promise<InputRange[]> {
    const shipped = this.inputs.ranges?.[`${streamId}@${time}`];
    if (shipped) return shipped;
    const key = manifestKey(time);
    const bytes = await this.store.get(key);
    if (!bytes)
      throw new MissingDataError(`manifest ${key} is missing, so input ${streamId} cannot be replayed`, {
        key,
      });
    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as {
      inputs: { stream: number; ranges: InputRange[] }[];
    };
    const input = manifest.inputs.find((i) => i.stream === streamId);
    if (!input)
      throw new MissingDataError(`manifest ${key} has no ranges for input ${streamId}`, { key, streamId });
    return input.ranges;
  }

  readShuffle(dep: ShuffleDependency, reducePartition: number): Promise<unknown[][]> {
    const shipped = this.inputs.segments?.[dep.id];
    const reads: Promise<unknown[]>[] = [];
    for (let m = 0; m < dep.parent.numPartitions; m++) {
      const segment = shipped?.[m];
      reads.push(
        segment
          ? Promise.resolve(decodeRows(segment, `map output ${m} of ${dep.id}, segment ${reducePartition}`))
          : this.readSegment(dep, m, reducePartition),
      );
    }
    return Promise.all(reads);
  }

  async readStored(node: LineageNode<unknown>, partition: number): Promise<unknown[] | undefined> {
    const key = storedPartKey(node, partition);
    const shipped = this.inputs.stored?.[key];
    if (shipped) return decodeRows(shipped, key);
    // Not shipped and of this batch: not computed yet (a GET would be sure to miss).
    if (shipped === undefined && node.time >= this.batchTime) return undefined;
    const bytes =
      node.checkpointOf !== undefined
        ? await this.storedCheckpoint(key, node.time)
        : await this.store.get(key);
    return bytes ? decodeRows(bytes, key) : undefined;
  }

  async readCheckpoint(streamId: number, time: number, partition: number): Promise<unknown[]> {
    const key = checkpointKey(streamId, time, partition);
    const bytes = this.inputs.stored?.[key] ?? (await this.storedCheckpoint(key, time));
    if (!bytes) throw new MissingDataError(`checkpoint ${key} is missing`, { key, streamId, time });
    return decodeRows(bytes, key);
  }

  private readonly packed = new Map<string, Promise<Map<string, Uint8Array>>>();

  /** A checkpoint partition saved under its own key, or else packed with the others of its time. */
  private async storedCheckpoint(key: string, time: number): Promise<Uint8Array | undefined> {
    const own = await this.store.get(key);
    if (own) return own;
    const packed = remembered(this.packed, String(time), () => readPackedCheckpoint(this.store, time));
    return (await packed).get(key);
  }

  readJobObject(key: string): Promise<Uint8Array | undefined> {
    return this.store.get(key);
  }

  private readonly computed = new Map<string, Promise<unknown[]>>();

  once(node: LineageNode<unknown>, partition: number, compute: () => Promise<unknown[]>): Promise<unknown[]> {
    return remembered(this.computed, `${node.id}/${partition}`, compute);
  }

  private readonly writes: Promise<void>[] = [];
  /** Input partitions read by planned source ranges, one report per partition (the last read wins). */
  private readonly reads = new Map<string, SourceReadReport>();

  get sourceReads(): SourceReadReport[] {
    return [...this.reads.values()];
  }

  reportSourceRead({ name, deadLetters, ...read }: SourceRead): void {
    this.reads.set(`${read.stream}@${read.time}#${read.partition}`, {
      ...read,
      deadLetters: deadLetters.length,
    });
    for (const { key, body } of sourceDeadLetterObjects(read.stream, name, read.time, deadLetters)) {
      this.background(this.store.put(key, body));
    }
  }

  writeStored(node: LineageNode<unknown>, partition: number, rows: unknown[]): Promise<void> {
    // Encoded now: later operators of the task may change the rows.
    this.saveEncoded(node, partition, encodeRows(rows));
    return Promise.resolve();
  }

  private background(write: Promise<void>): void {
    // Failures surface in flush(); until then they must not count as unhandled.
    write.catch(() => undefined);
    this.writes.push(write);
  }

  /**
   * Keeps a persisted partition for the result, and saves it when it does not fit the result (the
   * coordinator saves checkpoint partitions that came back, see schedule/checkpoint-writer.ts). Saves run
   * in the background: a chain of state or window steps being recomputed goes on to the next step instead
   * of waiting. `flush` waits for all of them.
   */
  saveEncoded(node: LineageNode<unknown>, partition: number, bytes: Uint8Array): void {
    const key = storedPartKey(node, partition);
    const inline = this.claimInline(bytes.length);
    // A checkpoint partition that fits goes back too: the coordinator saves the batch's checkpoint,
    // packed into one object when it is small.
    const stored = !inline;
    if (stored) this.background(this.store.put(key, bytes));
    this.persisted.push({ key, time: node.time, stored, ...(inline ? { bytes } : {}) });
  }

  /** Resolves once every partition saved through this context is in the store; a task ends with it. */
  async flush(): Promise<void> {
    while (this.writes.length > 0) await Promise.all(this.writes.splice(0));
  }

  private async readSegment(
    dep: ShuffleDependency,
    mapPartition: number,
    reducePartition: number,
  ): Promise<unknown[]> {
    const key = shuffleFileKey(dep, mapPartition);
    const offsets = this.inputs.offsets?.[dep.id]?.[mapPartition] ?? (await this.readHeader(key, dep));
    const bytes = await this.store.getRange(key, offsets[reducePartition], offsets[reducePartition + 1]);
    if (!bytes) throw missingShuffle(key, dep);
    return decodeRows(bytes, `${key} segment ${reducePartition}`);
  }

  private async readHeader(key: string, dep: ShuffleDependency): Promise<number[]> {
    const header = await this.store.getRange(key, 0, headerLength(dep.partitions));
    if (!header) throw missingShuffle(key, dep);
    return decodeShuffleHeader(header, key);
  }
}

function missingShuffle(key: string, dep: ShuffleDependency): MissingDataError {
  return new MissingDataError(`shuffle file ${key} of ${dep.operator} is missing`, { key, shuffle: dep.id });
}
