import { manifestKey, poisonDeadLetterKey, sourceDeadLetterKey } from '../catalog/layout';
import type { RecordErrorPolicy } from '../graph/record-errors';
import { isConditionFailed } from '../io/errors';
import type { SourceRange, Store } from '../io/ports';
import {
  type InputRange,
  type LineageNode,
  type ShuffleDependency,
  storedPartKey,
  type TaskContext,
  UserFunctionError,
} from '../plan';
import { encodeRows } from './codec';
import { PoisonRecordError } from './errors';

/**
 * Poison-record isolation. A task whose user code throws (a UserFunctionError) on records that come
 * from input partitions (input blocks or direct reads, of this batch or an earlier one) finds those
 * records by group testing: it runs its pipeline again, without any side effect, over subsets of the
 * input records, halving the subsets that fail. Tasks are deterministic, so every run (a retry, a
 * speculative copy, a recomputation of a lost partition) finds the same records and leaves them out.
 *
 * Cost: one discovery run (every input empty), one run over all records, then at most 2 runs per
 * halving per record found: at most 2 + 2 * (limit + 1) * ceil(log2 n) runs for n input records, where
 * `limit` is the number of records the policy lets one task dead-letter. Failing in more records than
 * that, or failing only when records come together, or failing with no input at all (the reduce side of
 * a shuffle, stored data), gives up and fails as before.
 */

/** An input partition a task read, by stream, batch and partition. */
export interface InputPart {
  streamId: number;
  time: number;
  partition: number;
}

/** Where an isolated record came from: its input partition, index, and the source's view of it. */
export interface RecordPosition extends InputPart {
  /** The input stream's name (from the batch manifest). */
  stream?: string;
  /** Index of the record within its input partition (block or direct read). */
  index: number;
  /** Shard (or queue, generator) the record was read from, when the manifest's ranges say. */
  shard?: string;
  /** The positions the batch read from that shard: first and last (Kinesis sequence numbers). */
  shardFirst?: string;
  shardLast?: string;
  /** The record's place among the records decoded from that shard in this batch, from 0. */
  offsetInShard?: number;
  /**
   * The record's own source position when the ranges determine it: numbered sources (a generator), or
   * the first or last record read from a shard that had no undecodable record.
   */
  sequenceNumber?: string;
}

export interface PoisonRecord {
  index: number;
  position: RecordPosition;
  operator: string;
  error: string;
  /** The record's value as JSON (bytes as `{ "$base64": ... }`). */
  data: unknown;
}

/** One dead-letter object: the records one task left out, deterministic bytes. */
export interface PoisonDeadLetters {
  batchTime: number;
  node: string;
  partition: number;
  operator: string;
  records: PoisonRecord[];
}

export interface IsolatedTask<R> {
  store: Store;
  /** The task's context; the runs here wrap it (their own `once`, their writes held back). */
  context: TaskContext;
  policy: RecordErrorPolicy;
  /** Names the dead-letter object: the stage node's batch, id, and the task's partition. */
  batchTime: number;
  node: string;
  partition: number;
  /** The task's real work, outputs included. */
  run(ctx: TaskContext): Promise<R>;
  /** The same computation without writing anything (used on subsets of the input records). */
  probe(ctx: TaskContext): Promise<void>;
}

/** Runs a task, isolating poison input records when user code fails on them (see the file comment). */
export async function runIsolating<R extends object>(
  task: IsolatedTask<R>,
): Promise<R & { deadLettered?: number }> {
  const read = new Map<string, InputPart & { count: number }>();
  const first = new IsolatingContext(task.context, task.store, 'defer', undefined, read);
  try {
    const outcome = await task.run(first);
    await first.commit();
    return outcome;
  } catch (error) {
    if (!(error instanceof UserFunctionError)) throw error;
    // Failed before reading any input record (the reduce side of a shuffle, stored data): no record
    // to blame. Otherwise the records it read may be the cause.
    if (![...read.values()].some((part) => part.count > 0)) throw error;
    return new Isolation(task).recover(error);
  }
}

/** The probe computation of a task: the node's partition, or its shuffle buckets. */
export async function probeTask(
  node: LineageNode<unknown>,
  partition: number,
  ctx: TaskContext,
  shuffles: readonly ShuffleDependency[] | undefined,
  bucket: (deps: readonly ShuffleDependency[], partition: number, ctx: TaskContext) => Promise<unknown>,
): Promise<void> {
  if (shuffles?.length) await bucket(shuffles, partition, ctx);
  else await node.compute(partition, ctx);
}

const partKey = (p: InputPart) => `${p.streamId}@${p.time}#${p.partition}`;

/** Keeps which records each input partition may use. */
type Selection = (part: InputPart, rows: unknown[]) => unknown[];

/**
 * A task context around the task's own: a fresh `once` per run, persisted partitions written only when
 * the run succeeded (`defer`, then `commit`) or never (`drop`, for probes), and input records selected.
 */
class IsolatingContext implements TaskContext {
  private readonly computed = new Map<string, Promise<unknown[]>>();
  private readonly held: [string, Uint8Array][] = [];
  readonly precomputed?: TaskContext['precomputed'];

  constructor(
    private readonly inner: TaskContext,
    private readonly store: Store,
    private readonly writes: 'defer' | 'drop',
    private readonly select?: Selection,
    /** Collects every input partition read, with its record count. */
    private readonly seen?: Map<string, InputPart & { count: number }>,
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

  readShuffle(dep: ShuffleDependency, reducePartition: number) {
    return this.inner.readShuffle(dep, reducePartition);
  }

  readStored(node: LineageNode<unknown>, partition: number) {
    return this.inner.readStored(node, partition);
  }

  readCheckpoint(streamId: number, time: number, partition: number) {
    return this.inner.readCheckpoint(streamId, time, partition);
  }

  async writeStored(node: LineageNode<unknown>, partition: number, rows: unknown[]): Promise<void> {
    // A run that fails later must not leave partitions computed with records it would leave out. Encoded
    // now: later operators of the task may change the rows.
    if (this.writes === 'defer') this.held.push([storedPartKey(node, partition), encodeRows(rows)]);
  }

  inputRecords(streamId: number, time: number, partition: number, rows: unknown[]): unknown[] {
    const part = { streamId, time, partition };
    this.seen?.set(partKey(part), { ...part, count: rows.length });
    const outer = this.inner.inputRecords?.(streamId, time, partition, rows) ?? rows;
    return this.select ? this.select(part, outer) : outer;
  }

  once(node: LineageNode<unknown>, partition: number, compute: () => Promise<unknown[]>): Promise<unknown[]> {
    const key = `${node.id}/${partition}`;
    let rows = this.computed.get(key);
    if (!rows) {
      rows = compute();
      this.computed.set(key, rows);
    }
    return rows;
  }

  /** Saves the persisted partitions the (successful) run computed. */
  async commit(): Promise<void> {
    await Promise.all(this.held.splice(0).map(([key, bytes]) => this.store.put(key, bytes)));
  }
}

/** A record of an input partition. */
interface Item {
  part: InputPart & { count: number };
  index: number;
}

interface Found {
  item: Item;
  error: UserFunctionError;
}

/** Isolation gave up: the task fails as it would without isolation. */
class GiveUp {
  constructor(readonly reason: string) {}
}

/** At most this many rounds of (find records, run again): a run may fail on records it never reached. */
const MAX_ROUNDS = 3;

class Isolation<R extends object> {
  /** Records left out so far, by input partition key then index. */
  private readonly excluded = new Map<string, Map<number, Found>>();
  private probes = 0;

  constructor(private readonly task: IsolatedTask<R>) {}

  async recover(original: UserFunctionError): Promise<R & { deadLettered?: number }> {
    let failure = original;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const parts = await this.discover();
      if (!parts) throw failure; // fails with no input records at all: nothing to isolate
      const items = parts.flatMap((part) =>
        Array.from({ length: part.count }, (_, index) => ({ part, index })).filter(
          (item) => !this.excluded.get(partKey(part))?.has(item.index),
        ),
      );
      const total = parts.reduce((sum, p) => sum + p.count, 0);
      const { mode, maxRecords, maxFraction } = this.task.policy;
      const limit = Math.max(1, Math.min(maxRecords, Math.floor(maxFraction * total))) - this.excludedCount();
      const found: Found[] = [];
      try {
        // Only naming a record ('fail'): the failed run is evidence enough that the records fail.
        await this.search(
          items,
          mode === 'fail' ? 1 : limit + 1,
          found,
          mode === 'fail' ? failure : undefined,
        );
      } catch (error) {
        if (error instanceof GiveUp) throw failure;
        throw error;
      }
      if (found.length === 0) throw failure; // the failure did not happen again: not the input's doing
      if (mode === 'fail') throw await this.named(found[0], failure, 'fail');
      if (found.length > limit)
        throw await this.named(found[0], failure, 'limit', limit + this.excludedCount());
      for (const f of found) {
        const key = partKey(f.item.part);
        if (!this.excluded.has(key)) this.excluded.set(key, new Map());
        this.excluded.get(key)!.set(f.item.index, f);
      }
      const ctx = new IsolatingContext(
        this.task.context,
        this.task.store,
        'defer',
        this.selection(undefined),
      );
      try {
        const outcome = await this.task.run(ctx);
        await ctx.commit();
        const deadLettered = await this.writeDeadLetters();
        return { ...outcome, deadLettered };
      } catch (error) {
        if (!(error instanceof UserFunctionError)) throw error;
        failure = error;
      }
    }
    throw failure;
  }

  private excludedCount(): number {
    let count = 0;
    for (const indexes of this.excluded.values()) count += indexes.size;
    return count;
  }

  /**
   * The input partitions the task reads and their sizes, from a run in which every input is empty, or
   * undefined when that run fails too (the failure does not come from input records) or reads none.
   */
  private async discover(): Promise<(InputPart & { count: number })[] | undefined> {
    const seen = new Map<string, InputPart & { count: number }>();
    const error = await this.probe(() => [], seen);
    if (error) return undefined;
    const parts = [...seen.values()].filter((p) => p.count > 0);
    parts.sort((a, b) => a.streamId - b.streamId || a.time - b.time || a.partition - b.partition);
    return parts.length > 0 ? parts : undefined;
  }

  /** Selects the records of `items` (all records when undefined), never the excluded ones. */
  private selection(items: Item[] | undefined): Selection {
    const chosen = new Map<string, Set<number>>();
    for (const item of items ?? []) {
      const key = partKey(item.part);
      if (!chosen.has(key)) chosen.set(key, new Set());
      chosen.get(key)!.add(item.index);
    }
    return (part, rows) => {
      const key = partKey(part);
      const keep = items ? chosen.get(key) : undefined;
      if (items && !keep) return [];
      const out = this.excluded.get(key);
      if (!keep && !out) return rows;
      return rows.filter((_, i) => (keep ? keep.has(i) : true) && !out?.has(i));
    };
  }

  /** Runs the task's pipeline over the selected records, writing nothing; the user error, if any. */
  private async probe(
    select: Selection,
    seen?: Map<string, InputPart & { count: number }>,
  ): Promise<UserFunctionError | undefined> {
    this.probes++;
    const ctx = new IsolatingContext(this.task.context, this.task.store, 'drop', select, seen);
    try {
      await this.task.probe(ctx);
      return undefined;
    } catch (error) {
      if (error instanceof UserFunctionError) return error;
      throw error;
    }
  }

  /** Group testing: finds failing records among `items` until `enough` are found. */
  private async search(
    items: Item[],
    enough: number,
    found: Found[],
    failing?: UserFunctionError,
  ): Promise<void> {
    if (items.length === 0) return;
    const n = items.length;
    const budget = 2 + 2 * enough * Math.max(1, Math.ceil(Math.log2(n)));
    const test = async (subset: Item[]) => {
      if (this.probes >= budget + 1) throw new GiveUp(`more than ${budget} runs`);
      return this.probe(this.selection(subset));
    };
    this.probes = 0;
    const all = failing ?? (await test(items));
    if (!all) return;
    const within = async (subset: Item[], error: UserFunctionError): Promise<void> => {
      if (subset.length === 1) {
        found.push({ item: subset[0], error });
        return;
      }
      const half = Math.ceil(subset.length / 2);
      const [a, b] = [subset.slice(0, half), subset.slice(half)];
      const inA = await test(a);
      if (inA) await within(a, inA);
      if (found.length >= enough) return;
      const inB = await test(b);
      if (inB) await within(b, inB);
      if (!inA && !inB) throw new GiveUp('records fail only together');
    };
    await within(items, all);
  }

  /** The error that fails the task, naming the first failing record's position. */
  private async named(
    first: Found,
    failure: UserFunctionError,
    why: 'fail' | 'limit',
    limit = 0,
  ): Promise<PoisonRecordError> {
    const [position] = await positionsOf(this.task.store, [first.item]);
    const where = describePosition(position);
    const reason = first.error.message;
    const message =
      why === 'fail'
        ? `${first.error.operator} failed on the record at ${where} (onRecordError is 'fail'): ${reason}`
        : `more than ${limit} input records make ${first.error.operator} fail, more than onRecordError allows ` +
          `to dead-letter; the first is at ${where}: ${reason}`;
    return new PoisonRecordError(
      message,
      { operator: first.error.operator, node: this.task.node, partition: this.task.partition, position },
      { cause: failure },
    );
  }

  /** Writes the dead-letter object of this task (create-once: a re-run writes the same bytes). */
  private async writeDeadLetters(): Promise<number> {
    const found = [...this.excluded.values()].flatMap((m) => [...m.values()]);
    found.sort(
      (a, b) =>
        a.item.part.streamId - b.item.part.streamId ||
        a.item.part.time - b.item.part.time ||
        a.item.part.partition - b.item.part.partition ||
        a.item.index - b.item.index,
    );
    const values = await recordValues(this.task, found);
    const positions = await positionsOf(
      this.task.store,
      found.map((f) => f.item),
    );
    const letters: PoisonDeadLetters = {
      batchTime: this.task.batchTime,
      node: this.task.node,
      partition: this.task.partition,
      operator: found[0].error.operator,
      records: found.map((f, i) => ({
        index: f.item.index,
        position: positions[i],
        operator: f.error.operator,
        error: f.error.message,
        data: jsonData(values[i]),
      })),
    };
    const key = poisonDeadLetterKey(this.task.batchTime, this.task.node, this.task.partition);
    try {
      await this.task.store.putIf(key, new TextEncoder().encode(`${JSON.stringify(letters)}\n`), {
        ifAbsent: true,
      });
    } catch (error) {
      // Another attempt or copy wrote it first, with the same bytes.
      if (!isConditionFailed(error)) throw error;
    }
    return found.length;
  }
}

/** The values of the found records, as their input partitions hold them (one discovery-style run). */
async function recordValues(task: IsolatedTask<object>, found: Found[]): Promise<unknown[]> {
  const wanted = new Map<string, Map<number, unknown>>();
  for (const f of found) {
    const key = partKey(f.item.part);
    if (!wanted.has(key)) wanted.set(key, new Map());
    wanted.get(key)!.set(f.item.index, undefined);
  }
  const grab: Selection = (part, rows) => {
    const want = wanted.get(partKey(part));
    if (want) for (const index of want.keys()) want.set(index, rows[index]);
    return [];
  };
  const ctx = new IsolatingContext(task.context, task.store, 'drop', grab);
  await task.probe(ctx).catch(() => undefined);
  return found.map((f) => wanted.get(partKey(f.item.part))?.get(f.item.index));
}

/** A record value as JSON data: bytes as base64, anything JSON cannot hold as its string form. */
export function jsonData(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value).toString('base64') };
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : JSON.parse(text);
  } catch {
    return String(value);
  }
}

interface ManifestInputs {
  inputs?: {
    stream: number;
    name?: string;
    ranges: SourceRange[];
    blocks?: { records: number }[];
    direct?: boolean;
    deadLetters?: number;
  }[];
}

/**
 * Positions of records: the batch manifest's ranges (shard, first and last position, count) and block
 * sizes place a record of an input partition in its shard; source dead letters of the batch (records
 * that could not be decoded, counted in the ranges) are subtracted per shard.
 */
export async function positionsOf(
  store: Store,
  items: readonly { part: InputPart; index: number }[],
): Promise<RecordPosition[]> {
  const manifests = new Map<number, Promise<ManifestInputs | undefined>>();
  const manifestOf = (time: number) => {
    let m = manifests.get(time);
    if (!m) {
      m = store
        .get(manifestKey(time))
        .then((bytes) =>
          bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as ManifestInputs) : undefined,
        )
        .catch(() => undefined);
      manifests.set(time, m);
    }
    return m;
  };
  return Promise.all(
    items.map(async ({ part, index }) => {
      const position: RecordPosition = {
        streamId: part.streamId,
        time: part.time,
        partition: part.partition,
        index,
      };
      const input = (await manifestOf(part.time))?.inputs?.find((i) => i.stream === part.streamId);
      if (!input) return position;
      if (input.name !== undefined) position.stream = input.name;
      if (input.direct) {
        const range = input.ranges[part.partition];
        if (range) placeIn(position, range, index, 0);
        return position;
      }
      let offset = index;
      for (const block of (input.blocks ?? []).slice(0, part.partition)) offset += block.records;
      for (const range of input.ranges) {
        const letters = input.deadLetters ? await lettersIn(store, part.streamId, part.time, range.shard) : 0;
        const decoded = range.count - letters;
        if (offset < decoded) {
          placeIn(position, range, offset, letters);
          break;
        }
        offset -= decoded;
      }
      return position;
    }),
  );
}

function placeIn(position: RecordPosition, range: SourceRange, offset: number, letters: number): void {
  position.shard = range.shard;
  position.shardFirst = range.first;
  position.shardLast = range.last;
  position.offsetInShard = offset;
  // Numbered positions (Kinesis sequence numbers, generator indexes); a queue's are not.
  if (!/^\d+$/.test(range.first) || !/^\d+$/.test(range.last)) return;
  if (BigInt(range.last) - BigInt(range.first) + 1n === BigInt(range.count)) {
    position.sequenceNumber = String(BigInt(range.first) + BigInt(offset));
  } else if (letters === 0 && offset === 0) {
    position.sequenceNumber = range.first;
  } else if (letters === 0 && offset === range.count - 1) {
    position.sequenceNumber = range.last;
  }
}

async function lettersIn(store: Store, streamId: number, time: number, shard: string): Promise<number> {
  const bytes = await store.get(sourceDeadLetterKey(streamId, time, shard)).catch(() => undefined);
  if (!bytes) return 0;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { letters?: unknown[] };
    return parsed.letters?.length ?? 0;
  } catch {
    return 0;
  }
}

/** A position in words, for error messages. */
export function describePosition(p: RecordPosition): string {
  const stream = p.stream !== undefined ? `input '${p.stream}'` : `input ${p.streamId}`;
  let text = `${stream} batch ${p.time} partition ${p.partition} record ${p.index}`;
  if (p.shard !== undefined) {
    const sequence =
      p.sequenceNumber !== undefined
        ? `sequence number ${p.sequenceNumber}`
        : `record ${p.offsetInShard} read from ${p.shardFirst || 'the start'} to ${p.shardLast}`;
    text += ` (shard ${p.shard}, ${sequence})`;
  }
  return text;
}
