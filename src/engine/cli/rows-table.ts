/** How the command line prints result rows (batch jobs, queries): an aligned text table, or JSON. */

/**
 * Rows as a table: objects by their keys, tuples (pairs) as columns `_1`, `_2` ... as Spark shows them,
 * anything else in one `value` column. Cells are strings as they are and JSON otherwise.
 */
export function formatTable(rows: readonly unknown[]): string {
  const columns = columnsOf(rows);
  const cells = rows.map((row) => columns.map((column) => formatCell(cellOf(row, column))));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i].length)));
  const line = (values: readonly string[]) => {
    // Empty cells at the end of a row are left off rather than drawn as separators.
    let end = values.length;
    while (end > 1 && values[end - 1] === '') end--;
    return values
      .slice(0, end)
      .map((value, i) => (i === end - 1 ? value : value.padEnd(widths[i])))
      .join(' | ');
  };
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  return [line(columns), rule, ...cells.map(line)].join('\n');
}

/** Rows as one JSON array, one row per line so large results stay readable and diffable. */
export function formatJson(rows: readonly unknown[]): string {
  if (rows.length === 0) return '[]';
  return `[\n${rows.map((row) => `  ${jsonOf(row) ?? 'null'}`).join(',\n')}\n]`;
}

type Column = string;

function columnsOf(rows: readonly unknown[]): Column[] {
  if (rows.length > 0 && rows.every(Array.isArray)) {
    const width = Math.max(...rows.map((row) => (row as unknown[]).length));
    return Array.from({ length: width }, (_, i) => `_${i + 1}`);
  }
  if (rows.length > 0 && rows.every(isRecord)) {
    const keys = new Set<string>();
    for (const row of rows) for (const key of Object.keys(row as object)) keys.add(key);
    return [...keys];
  }
  return ['value'];
}

function cellOf(row: unknown, column: Column): unknown {
  if (column === 'value' && !isRecord(row)) return row;
  if (Array.isArray(row)) return row[Number(column.slice(1)) - 1];
  return (row as Record<string, unknown>)[column];
}

function formatCell(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return jsonOf(value) ?? String(value);
}

/** JSON, with bigints as numbers' digits rather than an exception. */
function jsonOf(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
}

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
