/** Result rows as a text table (batch jobs, queries): pairs as key | value, objects by field, anything else as one column. */

const MAX_CELL = 60;

export function formatTable(rows: readonly unknown[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = columnsOf(rows);
  const cells = rows.map((row) => columns.map((column) => cell(column.pick(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.name.length, ...cells.map((line) => line[i].length)),
  );
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  return [
    line(columns.map((c) => c.name)),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...cells.map(line),
    `(${rows.length} row${rows.length === 1 ? '' : 's'})`,
  ].join('\n');
}

interface Column {
  name: string;
  pick(row: unknown): unknown;
}

function columnsOf(rows: readonly unknown[]): Column[] {
  if (rows.every((row) => Array.isArray(row) && row.length === 2)) {
    return [
      { name: 'key', pick: (row) => (row as unknown[])[0] },
      { name: 'value', pick: (row) => (row as unknown[])[1] },
    ];
  }
  if (rows.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))) {
    const names = [...new Set(rows.flatMap((row) => Object.keys(row as object)))];
    return names.map((name) => ({ name, pick: (row) => (row as Record<string, unknown>)[name] }));
  }
  return [{ name: 'value', pick: (row) => row }];
}

function cell(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 3)}...` : text;
}
