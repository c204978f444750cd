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
import { decodeRows, decodeShuffleHeader, encodeRows, headerLength } from './codec';
import { MissingDataError } from './errors';
import type { SourceReadReport } from './task-spec';

/** Map-output offsets the coordinator already knows, by shuffle id then map partition. */
export type ShuffleOffsets = Record<string, number[][]>;

/** Reads a task's inputs from the store: input blocks, shuffle segments, stored partitions. */
export class StoreTaskContext implements TaskContext {
  constructor(
    readonly batchTime: number,
    private readonly store: Store,
    private readonly knownOffsets: ShuffleOffsets = {},
    /** Partitions tasks already computed, encoded, by node id (driver code run on the coordinator). */
    private readonly given: ReadonlyMap<string, readonly Uint8Array[]> = new Map(),
  ) {}

  precomputed(node: LineageNode<unknown>, partition: number): Promise<unknown[]> | undefined {
    const bytes = this.given.get(node.id)?.[partition];
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
    const maps = dep.parent.numPartitions;
    const reads: Promise<unknown[]>[] = [];
    for (let m = 0; m < maps; m++) reads.push(this.readSegment(dep, m, reducePartition));
    return Promise.all(reads);
  }

  async readStored(node: LineageNode<unknown>, partition: number): Promise<unknown[] | undefined> {
    const key = storedPartKey(node, partition);
    const bytes = await this.store.get(key);
    return bytes ? decodeRows(bytes, key) : undefined;
  }

  async readCheckpoint(streamId: number, time: number, partition: number): Promise<unknown[]> {
    const key = checkpointKey(streamId, time, partition);
    const bytes = await this.store.get(key);
    if (!bytes) throw new MissingDataError(`checkpoint ${key} is missing`, { key, streamId, time });
    return decodeRows(bytes, key);
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

  /**
   * Saves a persisted partition in the background: a chain of state or window steps being recomputed
   * goes on to the next step instead of waiting for each save. `flush` waits for all of them.
   */
  writeStored(node: LineageNode<unknown>, partition: number, rows: unknown[]): Promise<void> {
    this.background(this.store.put(storedPartKey(node, partition), encodeRows(rows)));
    return Promise.resolve();
  }

  private background(write: Promise<void>): void {
    // Failures surface in flush(); until then they must not count as unhandled.
    write.catch(() => undefined);
    this.writes.push(write);
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
    const offsets = this.knownOffsets[dep.id]?.[mapPartition] ?? (await this.readHeader(key, dep));
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
