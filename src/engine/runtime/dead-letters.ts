import { padTime } from '../catalog/layout';
import type { PoisonDeadLetters } from '../exec/poison-dead-letters';
import { describePosition, type RecordPosition } from '../exec/record-positions';
import type { Store } from '../io/ports';
import { RuntimeError } from './errors';

/**
 * A job's dead letters: records a source could not decode (`deadletters/<time>/s<stream>/<shard>.json`)
 * and records user code failed on (`deadletters/<time>/poison/<node>/<partition>.json`), read back
 * for inspection and put back into a stream once the job (or the producer) is fixed.
 */

export interface DeadLetterEntry {
  kind: 'source' | 'poison';
  /** The object it was read from. */
  key: string;
  /** The batch whose dead-letter object holds it. */
  batchTime: number;
  /** The input stream's name, when known. */
  stream?: string;
  shard?: string;
  /** Where the record was, in words: shard and sequence number, or stream, batch, partition and index. */
  position: string;
  error: string;
  /** The record's original bytes (poison records: their value as JSON, or the string itself). */
  data: Uint8Array;
  /** Poison records: the operator that failed, the stage node and partition of the task. */
  operator?: string;
  node?: string;
  partition?: number;
  /** Poison records: the full position the task recorded. */
  recordPosition?: RecordPosition;
}

export interface DeadLetterRange {
  /** Only batches at or after this time (ms since the epoch, as batch times are). */
  from?: number;
  /** Only batches at or before this time. */
  to?: number;
}

const PREFIX = 'deadletters/';
const SOURCE_KEY = /^deadletters\/(\d+)\/s(\d+)\/(.+)\.json$/;
const POISON_KEY = /^deadletters\/(\d+)\/poison\/(.+)\/(\d+)\.json$/;

interface SourceLetters {
  stream?: string;
  batchTime?: number;
  shard?: string;
  letters?: { position: string; error: string; data: string }[];
}

/**
 * Every dead letter of the job in `range`, in batch-time order. A poison record found again when a lost
 * partition was recomputed in a later batch appears once (its first dead-letter object).
 */
export async function listDeadLetters(store: Store, range: DeadLetterRange = {}): Promise<DeadLetterEntry[]> {
  const entries = await store.list(PREFIX);
  const out: DeadLetterEntry[] = [];
  const seen = new Set<string>();
  for (const { key } of entries) {
    const source = SOURCE_KEY.exec(key);
    const poison = source ? null : POISON_KEY.exec(key);
    if (!source && !poison) continue;
    const time = Number((source ?? poison)![1]);
    if (range.from !== undefined && time < range.from) continue;
    if (range.to !== undefined && time > range.to) continue;
    const bytes = await store.get(key);
    if (!bytes) continue; // deleted since it was listed
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new RuntimeError(`dead-letter object ${key} is not JSON: ${(error as Error).message}`, { key });
    }
    if (source) {
      const object = body as SourceLetters;
      for (const letter of object.letters ?? []) {
        out.push({
          kind: 'source',
          key,
          batchTime: time,
          stream: object.stream,
          shard: object.shard ?? source[3],
          position: `shard ${object.shard ?? source[3]}, sequence number ${letter.position}`,
          error: letter.error,
          data: new Uint8Array(Buffer.from(letter.data, 'base64')),
        });
      }
      continue;
    }
    const object = body as PoisonDeadLetters;
    for (const record of object.records ?? []) {
      const p = record.position;
      const identity = p ? `${p.streamId}|${p.time}|${p.partition}|${p.index}` : `${key}|${record.index}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      out.push({
        kind: 'poison',
        key,
        batchTime: time,
        stream: p?.stream,
        shard: p?.shard,
        position: p ? describePosition(p) : `record ${record.index}`,
        error: record.error,
        data: bytesOf(record.data),
        operator: record.operator ?? object.operator,
        node: object.node,
        partition: object.partition,
        recordPosition: p,
      });
    }
  }
  return out;
}

/** A poison record's original bytes from its JSON value: strings as UTF-8, bytes from base64, else JSON. */
export function bytesOf(data: unknown): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  const base64 = (data as { $base64?: unknown } | null)?.$base64;
  if (typeof base64 === 'string' && Object.keys(data as object).length === 1) {
    return new Uint8Array(Buffer.from(base64, 'base64'));
  }
  return new TextEncoder().encode(JSON.stringify(data));
}

/** Puts records into a stream (Kinesis PutRecords, chunked and retried by the caller's adapter). */
export type PutRecords = (records: { data: Uint8Array; partitionKey: string }[]) => Promise<void>;

export interface RedriveOptions extends DeadLetterRange {
  putRecords: PutRecords;
  /** Only letters of this input stream (by name). */
  stream?: string;
  /** Only source letters or only poison records (default both). */
  kind?: 'source' | 'poison';
  /** Records per putRecords call (default 500, the PutRecords limit). */
  chunk?: number;
}

/**
 * Puts the dead letters' original bytes back into a stream, in batch-time order. Each record's partition
 * key is its position, so records spread over shards as before. Nothing is deleted or marked: run it once
 * per fix (listing first), or narrow it with `from`/`to`.
 */
export async function redriveDeadLetters(
  store: Store,
  options: RedriveOptions,
): Promise<{ records: number; calls: number }> {
  const chunk = options.chunk ?? 500;
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > 500) {
    throw new RuntimeError(`chunk must be a whole number from 1 to 500, not ${chunk}`, { chunk });
  }
  const letters = (await listDeadLetters(store, options)).filter(
    (l) =>
      (options.stream === undefined || l.stream === options.stream) &&
      (options.kind === undefined || l.kind === options.kind),
  );
  let calls = 0;
  for (let start = 0; start < letters.length; start += chunk) {
    const records = letters.slice(start, start + chunk).map((l) => ({
      data: l.data,
      // Kinesis partition keys are 1 to 256 characters.
      partitionKey: `${l.shard ?? l.stream ?? 'dead'}:${l.position}`.slice(0, 256),
    }));
    await options.putRecords(records);
    calls++;
  }
  return { records: letters.length, calls };
}

/** One line per dead letter, for the CLI. */
export function formatDeadLetter(letter: DeadLetterEntry): string {
  const text = new TextDecoder().decode(letter.data);
  const shown = text.length > 120 ? `${text.slice(0, 120)}...` : text;
  const where = letter.kind === 'poison' ? `${letter.operator} at ${letter.position}` : letter.position;
  return `${padTime(letter.batchTime)} ${letter.kind} ${letter.stream ?? '?'} ${where}: ${letter.error} | ${JSON.stringify(shown)}`;
}
