import type { InputRange, LineageNode, ShuffleDependency, SourceRead, TaskContext } from '../plan';
import { remembered } from '../util/remembered';
import { encodeRows } from './codec';
import type { PartSaver } from './isolated-task';
import type { InputPart } from './record-positions';

/** An input partition with the number of records the task read from it. */
export type CountedInputPart = InputPart & { count: number };

/** Identifies an input partition in maps and sets. */
export const partKey = (p: InputPart) => `${p.streamId}@${p.time}#${p.partition}`;

/** Keeps which records each input partition may use. */
export type Selection = (part: InputPart, rows: unknown[]) => unknown[];

/**
 * A task context around the task's own: a fresh `once` per run, persisted partitions written only when
 * the run succeeded (`defer`, then `commit`) or never (`drop`, for probes), and input records selected.
 */
export class IsolatingContext implements TaskContext {
  private readonly computed = new Map<string, Promise<unknown[]>>();
  private readonly held: [LineageNode<unknown>, number, Uint8Array][] = [];
  readonly precomputed?: TaskContext['precomputed'];

  constructor(
    private readonly inner: TaskContext & PartSaver,
    private readonly writes: 'defer' | 'drop',
    private readonly select?: Selection,
    /** Collects every input partition read, with its record count. */
    private readonly seen?: Map<string, CountedInputPart>,
  ) {
    if (inner.precomputed) this.precomputed = (node, partition) => inner.precomputed!(node, partition);
  }

  get batchTime(): number {
    return this.inner.batchTime;
  }

  readInputBlock(streamId: number, time: number, partition: number) {
    return this.inner.readInputBlock(streamId, time, partition);
  }

  writeInputBlock(streamId: number, time: number, partition: number, rows: unknown[]) {
    // The whole block as the source gave it: the same bytes whoever writes it.
    return this.inner.writeInputBlock(streamId, time, partition, rows);
  }

  readInputRanges(streamId: number, time: number): Promise<InputRange[]> {
    return this.inner.readInputRanges(streamId, time);
  }

  reportSourceRead(read: SourceRead): void {
    // Every run reads the same ranges; the outcome kept is the successful run's.
    this.inner.reportSourceRead?.(read);
  }

  readShuffle(dep: ShuffleDependency, reducePartition: number) {
    return this.inner.readShuffle(dep, reducePartition);
  }

  readStored(node: LineageNode<unknown>, partition: number) {
    return this.inner.readStored(node, partition);
  }

  readCheckpoint(streamId: number, time: number, partition: number) {
    return this.inner.readCheckpoint(streamId, time, partition);
  }

  readJobObject(key: string): Promise<Uint8Array | undefined> {
    return this.inner.readJobObject ? this.inner.readJobObject(key) : Promise.resolve(undefined);
  }

  async writeStored(node: LineageNode<unknown>, partition: number, rows: unknown[]): Promise<void> {
    // A run that fails later must not leave partitions computed with records it would leave out. Encoded
    // now: later operators of the task may change the rows.
    if (this.writes === 'defer') this.held.push([node, partition, encodeRows(rows)]);
  }

  inputRecords(streamId: number, time: number, partition: number, rows: unknown[]): unknown[] {
    const part = { streamId, time, partition };
    this.seen?.set(partKey(part), { ...part, count: rows.length });
    const outer = this.inner.inputRecords?.(streamId, time, partition, rows) ?? rows;
    return this.select ? this.select(part, outer) : outer;
  }

  once(node: LineageNode<unknown>, partition: number, compute: () => Promise<unknown[]>): Promise<unknown[]> {
    return remembered(this.computed, `${node.id}/${partition}`, compute);
  }

  /** Saves the persisted partitions the (successful) run computed. */
  commit(): void {
    for (const [node, partition, bytes] of this.held.splice(0))
      this.inner.saveEncoded(node, partition, bytes);
  }
}
