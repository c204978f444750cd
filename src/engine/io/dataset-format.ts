/** How a dataset object's bytes become rows: lines, JSON Lines, whole text, or a user decoder. */
import { DatasetDecodeError } from './dataset-errors';

export type DatasetFormat = 'lines' | 'jsonl' | 'text';

/** Turns one object's bytes into its rows; `key` names the object in errors. */
export type DatasetDecoder<T> = (bytes: Uint8Array, key: string) => Iterable<T>;

const utf8 = new TextDecoder('utf-8');

/**
 * The decoder for a format. `lines` yields every non-empty line (a trailing `\r` removed), so a final
 * newline or blank separator lines add no empty rows; `jsonl` parses every non-empty line; `text` yields
 * each object whole.
 */
export function decoderFor<T>(format: DatasetFormat, location: string): DatasetDecoder<T> {
  switch (format) {
    case 'lines':
      return (bytes) => nonEmptyLines(bytes).map(([line]) => line) as T[];
    case 'jsonl':
      return (bytes, key) => nonEmptyLines(bytes).map(([line, n]) => parseLine(line, n, key, location) as T);
    case 'text':
      return (bytes) => [utf8.decode(bytes) as T];
    default:
      throw new DatasetDecodeError(
        `dataset at ${location}: unknown format '${String(format)}'; use 'lines', 'jsonl', 'text' or a decode function`,
        { location, format },
      );
  }
}

/** Runs a decoder over one object, naming the object when it fails. */
export function decodeObject<T>(
  decode: DatasetDecoder<T>,
  bytes: Uint8Array,
  key: string,
  location: string,
): T[] {
  try {
    return Array.from(decode(bytes, key));
  } catch (error) {
    if (error instanceof DatasetDecodeError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetDecodeError(
      `dataset at ${location}: decoding object '${key}' failed: ${reason}`,
      {
        location,
        key,
      },
      { cause: error },
    );
  }
}

/** `[line, line number from 1]` for every non-empty line. */
function nonEmptyLines(bytes: Uint8Array): [string, number][] {
  const lines = utf8.decode(bytes).split('\n');
  const out: [string, number][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim().length > 0) out.push([line, i + 1]);
  }
  return out;
}

function parseLine(line: string, lineNumber: number, key: string, location: string): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetDecodeError(
      `dataset at ${location}: object '${key}' line ${lineNumber} is not valid JSON (${reason}); fix the line or read the object with format 'lines'`,
      { location, key, line: lineNumber },
      { cause: error },
    );
  }
}
