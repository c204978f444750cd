import type { LineageNode, ShuffleDependency, TaskContext } from '../plan';
import { UserFunctionError } from '../plan';
import { PoisonRecordError } from './errors';
import type { IsolatedTask } from './isolated-task';
import { type CountedInputPart, IsolatingContext, partKey, type Selection } from './isolating-context';
import { inputRecordId, writePoisonDeadLetters } from './poison-dead-letters';
import { type FailingRecord, GiveUp, type RecordRef, searchFailingRecords } from './poison-search';
import { describePosition, positionsOf } from './record-positions';

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

/** Runs a task, isolating poison input records when user code fails on them (see the file comment). */
export async function runIsolating<R extends object>(
  task: IsolatedTask<R>,
): Promise<R & { deadLettered?: number; deadLetteredInputs?: string[] }> {
  const read = new Map<string, CountedInputPart>();
  const first = new IsolatingContext(task.context, 'defer', undefined, read);
  try {
    const outcome = await task.run(first);
    first.commit();
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

/** At most this many rounds of (find records, run again): a run may fail on records it never reached. */
const MAX_ROUNDS = 3;

class Isolation<R extends object> {
  /** Records left out so far, by input partition key then index. */
  private readonly excluded = new Map<string, Map<number, FailingRecord>>();

  constructor(private readonly task: IsolatedTask<R>) {}

  async recover(
    original: UserFunctionError,
  ): Promise<R & { deadLettered?: number; deadLetteredInputs?: string[] }> {
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
      const found: FailingRecord[] = [];
      try {
        // Only naming a record ('fail'): the failed run is evidence enough that the records fail.
        await searchFailingRecords(
          items,
          mode === 'fail' ? 1 : limit + 1,
          found,
          (subset) => this.probe(this.selection(subset)),
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
      const ctx = new IsolatingContext(this.task.context, 'defer', this.selection(undefined));
      try {
        const outcome = await this.task.run(ctx);
        ctx.commit();
        const excluded = [...this.excluded.values()].flatMap((m) => [...m.values()]);
        const deadLettered = await writePoisonDeadLetters(this.task, excluded);
        return { ...outcome, deadLettered, deadLetteredInputs: excluded.map((f) => inputRecordId(f.item)) };
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
  private async discover(): Promise<CountedInputPart[] | undefined> {
    const seen = new Map<string, CountedInputPart>();
    const error = await this.probe(() => [], seen);
    if (error) return undefined;
    const parts = [...seen.values()].filter((p) => p.count > 0);
    parts.sort((a, b) => a.streamId - b.streamId || a.time - b.time || a.partition - b.partition);
    return parts.length > 0 ? parts : undefined;
  }

  /** Selects the records of `items` (all records when undefined), never the excluded ones. */
  private selection(items: RecordRef[] | undefined): Selection {
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
    seen?: Map<string, CountedInputPart>,
  ): Promise<UserFunctionError | undefined> {
    const ctx = new IsolatingContext(this.task.context, 'drop', select, seen);
    try {
      await this.task.probe(ctx);
      return undefined;
    } catch (error) {
      if (error instanceof UserFunctionError) return error;
      throw error;
    }
  }

  /** The error that fails the task, naming the first failing record's position. */
  private async named(
    first: FailingRecord,
    failure: UserFunctionError,
    why: 'fail' | 'limit',
    limit = 0,
  ): Promise<PoisonRecordError> {
    const [position] = await positionsOf(this.task.store, [first.item], this.task.sourceReads?.());
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
}
