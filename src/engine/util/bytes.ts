/**
 * Record work on raw bytes, without decoding whole records into strings: a substring test and a splitter
 * whose pieces are interned (see bytes-interner.ts). Both give the answers of the string path
 * (`utf8(record).includes(pattern)`, `utf8(record).split(separator)`) on valid UTF-8 records; that holds
 * because UTF-8 is self-synchronising: a pattern's bytes can only match at character boundaries.
 */
import { ByteKeyInterner, type ByteKeyInternerOptions } from './bytes-interner';
import { ConfigError } from './errors';

const encoder = new TextEncoder();

/** The UTF-8 bytes of `text` (a pattern or a separator). */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A leading byte order mark, which the strict UTF-8 decoder drops from a record (and so must we). */
function bomLength(record: Uint8Array): number {
  return record.length >= 3 && record[0] === 0xef && record[1] === 0xbb && record[2] === 0xbf ? 3 : 0;
}

/** A compiled pattern: Horspool's shift table, so a search skips up to the pattern's length per step. */
export class BytePattern {
  readonly bytes: Uint8Array;
  private readonly shift = new Int32Array(256);

  constructor(pattern: string | Uint8Array) {
    this.bytes = typeof pattern === 'string' ? utf8Bytes(pattern) : new Uint8Array(pattern);
    const m = this.bytes.length;
    this.shift.fill(Math.max(m, 1));
    for (let j = 0; j < m - 1; j++) this.shift[this.bytes[j]] = m - 1 - j;
  }

  /** The first index of the pattern in `haystack[from, end)`, or -1. */
  indexIn(haystack: Uint8Array, from = 0, end = haystack.length): number {
    const p = this.bytes;
    const m = p.length;
    if (m === 0) return from <= end ? from : -1;
    const last = p[m - 1];
    const shift = this.shift;
    let i = from;
    while (i <= end - m) {
      const c = haystack[i + m - 1];
      if (c === last) {
        let j = m - 2;
        while (j >= 0 && haystack[i + j] === p[j]) j--;
        if (j < 0) return i;
      }
      i += shift[c];
    }
    return -1;
  }
}

/** The first index of `needle` in `haystack` at or after `from`, or -1 (bytes, no decoding). */
export function indexOfBytes(haystack: Uint8Array, needle: string | Uint8Array, from = 0): number {
  return new BytePattern(needle).indexIn(haystack, from);
}

/**
 * A filter predicate over raw records: true when the record's bytes contain `pattern`'s UTF-8 bytes.
 * `records.filter(containsBytes('ERROR'))` is `lines.filter((l) => l.includes('ERROR'))` without
 * decoding a single record. Records it never decodes are not checked for valid UTF-8.
 */
export function containsBytes(pattern: string | Uint8Array): (record: Uint8Array) => boolean {
  const compiled = new BytePattern(pattern);
  return (record) => compiled.indexIn(record, bomLength(record)) >= 0;
}

export interface SplitBytesOptions extends ByteKeyInternerOptions {}

/**
 * A flatMap function over raw records: the record's pieces between `separator`s, as strings, exactly
 * what `utf8(record).split(separator)` gives (empty pieces included). Pieces are interned: a string is
 * made only for bytes this function has not seen yet (up to `maxKeys` distinct pieces, then it starts
 * over), so counting words makes no string per word and the combiner's Map finds each key by a hash the
 * string already carries. A piece that is not valid UTF-8 throws, so the record is isolated as a record
 * the decoder rejects would be.
 */
export function splitBytes(
  separator = ' ',
  options: SplitBytesOptions = {},
): (record: Uint8Array) => string[] {
  const sep = utf8Bytes(separator);
  if (sep.length === 0) {
    throw new ConfigError('splitBytes: the separator must not be empty; pass e.g. " " or ","', { separator });
  }
  const interner = new ByteKeyInterner(options);
  if (sep.length === 1) return (record) => splitOnByte(record, sep[0], interner);
  const pattern = new BytePattern(sep);
  return (record) => splitOnPattern(record, pattern, interner);
}

// FNV-1a, computed while scanning for the separator so every byte is read once.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function splitOnByte(record: Uint8Array, separator: number, interner: ByteKeyInterner): string[] {
  const pieces: string[] = [];
  let start = bomLength(record);
  let hash = FNV_OFFSET;
  const end = record.length;
  for (let i = start; i < end; i++) {
    const b = record[i];
    if (b === separator) {
      pieces.push(interner.intern(record, start, i, hash));
      start = i + 1;
      hash = FNV_OFFSET;
    } else {
      hash = Math.imul(hash ^ b, FNV_PRIME);
    }
  }
  pieces.push(interner.intern(record, start, end, hash));
  return pieces;
}

function splitOnPattern(record: Uint8Array, separator: BytePattern, interner: ByteKeyInterner): string[] {
  const pieces: string[] = [];
  const width = separator.bytes.length;
  let start = bomLength(record);
  for (;;) {
    const at = separator.indexIn(record, start);
    const end = at < 0 ? record.length : at;
    pieces.push(interner.intern(record, start, end, hashBytes(record, start, end)));
    if (at < 0) return pieces;
    start = at + width;
  }
}

/** The hash the splitters compute inline: FNV-1a over `bytes[start, end)`. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], FNV_PRIME);
  return hash;
}
