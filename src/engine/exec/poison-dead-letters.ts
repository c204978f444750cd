import { poisonDeadLetterKey } from '../catalog/layout';
import { isConditionFailed } from '../io/errors';
import type { IsolatedTask } from './isolated-task';
import { IsolatingContext, partKey, type Selection } from './isolating-context';
import type { FailingRecord } from './poison-search';
import { positionsOf, type RecordPosition } from './record-positions';

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

/**
 * Which input record this is, the same in every task and stage that reads it: two stages over one input
 * may both leave a record out, and the batch counts it once.
 */
export function inputRecordId(item: {
  part: { streamId: number; time: number; partition: number };
  index: number;
}): string {
  return `${item.part.streamId}|${item.part.time}|${item.part.partition}|${item.index}`;
}

/**
 * Writes the dead-letter object of a task for the records it left out (create-once: a re-run writes
 * the same bytes); returns how many records it holds.
 */
export async function writePoisonDeadLetters(
  task: IsolatedTask<object>,
  excluded: readonly FailingRecord[],
): Promise<number> {
  // Sorted by place in the input, so every run writes the same bytes.
  const found = [...excluded].sort(
    (a, b) =>
      a.item.part.streamId - b.item.part.streamId ||
      a.item.part.time - b.item.part.time ||
      a.item.part.partition - b.item.part.partition ||
      a.item.index - b.item.index,
  );
  const values = await recordValues(task, found);
  const positions = await positionsOf(
    task.store,
    found.map((f) => f.item),
    task.sourceReads?.(),
  );
  const letters: PoisonDeadLetters = {
    batchTime: task.batchTime,
    node: task.node,
    partition: task.partition,
    operator: found[0].error.operator,
    records: found.map((f, i) => ({
      index: f.item.index,
      position: positions[i],
      operator: f.error.operator,
      error: f.error.message,
      data: jsonData(values[i]),
    })),
  };
  const key = poisonDeadLetterKey(task.batchTime, task.node, task.partition);
  try {
    await task.store.putIf(key, new TextEncoder().encode(`${JSON.stringify(letters)}\n`), {
      ifAbsent: true,
    });
  } catch (error) {
    // Another attempt or copy wrote it first, with the same bytes.
    if (!isConditionFailed(error)) throw error;
  }
  return found.length;
}

/** The values of the found records, as their input partitions hold them (one discovery-style run). */
async function recordValues(task: IsolatedTask<object>, found: FailingRecord[]): Promise<unknown[]> {
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
  const ctx = new IsolatingContext(task.context, 'drop', grab);
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
