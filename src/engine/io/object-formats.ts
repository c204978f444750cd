/**
 * How an object's bytes become records, shared by every reader of whole objects (object streams,
 * datasets). A record that cannot be read is handed back as a bad record with its position, for the
 * caller's dead-letter policy: never dropped.
 */
import { gunzipSync } from 'node:zlib';
import { ConfigError } from '../util/errors';

/**
 * `'lines'`: one string per line (UTF-8, `\n` or `\r\n`; a final newline ends the last line and adds no
 * empty record). `'jsonl'`: one JSON value per line, blank lines ignored. `'text'`: the whole object as
 * one string.
 */
export type ObjectFormat = 'lines' | 'jsonl' | 'text';

export const OBJECT_FORMATS: readonly ObjectFormat[] = ['lines', 'jsonl', 'text'];

/** The user's own reading of an object: all its records, or a throw when the object cannot be read. */
export type ObjectDecoder<T> = (bytes: Uint8Array, key: string) => Iterable<T>;

/** A record (or a whole object) that could not be read. */
export interface BadRecord {
  /** `<key>:<line>` for a bad line (1-based), the key alone for an object unreadable as a whole. */
  position: string;
  data: Uint8Array;
  error: string;
}

export interface DecodedObject<T> {
  records: T[];
  bad: BadRecord[];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Checks a format option once, when the stream or dataset is defined, so a typo fails early and clearly. */
export function checkObjectFormat(format: unknown, where: string): ObjectFormat {
  if (typeof format === 'string' && (OBJECT_FORMATS as readonly string[]).includes(format)) {
    return format as ObjectFormat;
  }
  throw new ConfigError(
    `${where}: unknown format ${JSON.stringify(format)}; use one of ${OBJECT_FORMATS.map((f) => `'${f}'`).join(', ')}, or a decode function (bytes, key) => records`,
    { format: String(format) },
  );
}

/**
 * The records of one object. Keys ending in `.gz` are gunzipped first (Firehose and most loggers write
 * gzip). A decode function that throws makes the whole object one bad record.
 */
export function decodeObject<T>(
  key: string,
  raw: Uint8Array,
  how: ObjectFormat | ObjectDecoder<T>,
): DecodedObject<T> {
  let bytes: Uint8Array;
  try {
    bytes = key.endsWith('.gz') ? new Uint8Array(gunzipSync(raw)) : raw;
  } catch (error) {
    return wholeObjectBad(key, raw, `not valid gzip: ${messageOf(error)}`);
  }
  if (typeof how === 'function') {
    try {
      return { records: [...how(bytes, key)], bad: [] };
    } catch (error) {
      return wholeObjectBad(key, bytes, `decode threw: ${messageOf(error)}`);
    }
  }
  if (how === 'text') {
    try {
      return { records: [strictUtf8.decode(bytes) as T], bad: [] };
    } catch (error) {
      return wholeObjectBad(key, bytes, `not UTF-8 text: ${messageOf(error)}`);
    }
  }
  return decodeLines(key, bytes, how);
}

function decodeLines<T>(key: string, bytes: Uint8Array, format: 'lines' | 'jsonl'): DecodedObject<T> {
  const out: DecodedObject<T> = { records: [], bad: [] };
  let start = 0;
  for (let line = 1; start < bytes.length; line++) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline < 0 ? bytes.length : newline;
    const trimmedEnd = end > start && bytes[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    const data = bytes.subarray(start, trimmedEnd);
    start = end + 1;
    let text: string;
    try {
      text = strictUtf8.decode(data);
    } catch (error) {
      out.bad.push({
        position: `${key}:${line}`,
        data: data.slice(),
        error: `not UTF-8: ${messageOf(error)}`,
      });
      continue;
    }
    if (format === 'lines') {
      out.records.push(text as T);
      continue;
    }
    // A blank line holds no record (a trailing one is common); anything else must parse.
    if (text.trim() === '') continue;
    try {
      out.records.push(JSON.parse(text) as T);
    } catch (error) {
      out.bad.push({
        position: `${key}:${line}`,
        data: data.slice(),
        error: `not JSON: ${messageOf(error)}`,
      });
    }
  }
  return out;
}

function wholeObjectBad<T>(key: string, data: Uint8Array, error: string): DecodedObject<T> {
  return { records: [], bad: [{ position: key, data: data.slice(), error }] };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
