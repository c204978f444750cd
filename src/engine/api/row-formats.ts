/** How sink rows become the bytes of an output object: JSON Lines or CSV (RFC 4180 quoting). */
import { InvalidGraphError } from '../graph';

export type RowFormat = 'jsonl' | 'csv';

/** Says which row failed, so the error names the sink, batch, partition and row. */
export interface RowsAt {
  sink: string;
  batchTime: number;
  partition: number;
}

/** One JSON value per line, each line ending in '\n'. */
export function jsonLines(rows: readonly unknown[], at: RowsAt): string {
  let out = '';
  rows.forEach((row, index) => {
    const text = JSON.stringify(row);
    if (text === undefined) {
      throw rowError(
        `cannot write ${typeof row} as JSON (row ${index}); map it to null or filter it out first`,
        at,
        index,
      );
    }
    out += `${text}\n`;
  });
  return out;
}

/**
 * A header row, then one line per row: each row an object, its values in `columns` order (given, or the
 * first row's keys). A value holding a comma, quote or line break is quoted, quotes doubled (RFC 4180);
 * null and undefined are empty, dates ISO 8601, objects and arrays JSON. Lines end in '\n'. Without
 * `columns`, a row with a key the first row lacks is refused rather than lose that value.
 */
export function csvLines(
  rows: readonly unknown[],
  columns: readonly string[] | undefined,
  at: RowsAt,
): string {
  if (rows.length === 0) return '';
  const header = columns ?? Object.keys(asObject(rows[0], 0, at));
  const known = new Set(header);
  let out = `${header.map(csvField).join(',')}\n`;
  rows.forEach((row, index) => {
    const record = asObject(row, index, at);
    if (!columns) {
      const extra = Object.keys(record).find((key) => !known.has(key));
      if (extra !== undefined) {
        throw rowError(
          `row ${index} has a column '${extra}' that the header (${header.join(', ')}), taken from the first row, lacks; pass columns: [...] to bucketSink`,
          at,
          index,
        );
      }
    }
    out += `${header.map((column) => csvField(record[column])).join(',')}\n`;
  });
  return out;
}

function asObject(row: unknown, index: number, at: RowsAt): Record<string, unknown> {
  if (typeof row === 'object' && row !== null && !Array.isArray(row) && !(row instanceof Date)) {
    return row as Record<string, unknown>;
  }
  const what = Array.isArray(row) ? 'an array' : row === null ? 'null' : `a ${typeof row}`;
  throw rowError(
    `row ${index} is ${what}; CSV rows must be objects keyed by column, e.g. map(([k, v]) => ({ key: k, value: v }))`,
    at,
    index,
  );
}

function csvField(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function rowError(problem: string, at: RowsAt, row: number): InvalidGraphError {
  return new InvalidGraphError(`${at.sink}, batch ${at.batchTime}, partition ${at.partition}: ${problem}`, {
    ...at,
    row,
  });
}
