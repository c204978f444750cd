/**
 * Orderings for sortBy, sortByKey, top and takeOrdered. An order must be the same in every process and
 * must not depend on how rows happen to be partitioned, so strings compare by UTF-16 code units (never
 * the locale) and rows a comparator calls equal are ordered by the default order of the whole row
 * (compareValues), which falls back to canonical JSON for objects.
 */
import { canonicalJson } from '../util/hash';

/** Negative when `a` comes first, positive when `b` does, 0 when they tie. */
export type Compare<T> = (a: T, b: T) => number;

const RANK: Record<string, number> = {
  undefined: 0,
  null: 1,
  boolean: 2,
  number: 3,
  bigint: 4,
  string: 5,
  date: 6,
  array: 7,
  object: 8,
};

function rankOf(value: unknown): number {
  if (value === null) return RANK.null;
  if (Array.isArray(value)) return RANK.array;
  if (value instanceof Date) return RANK.date;
  return RANK[typeof value] ?? RANK.object;
}

/**
 * The default order: numbers numerically (NaN last, as Spark orders doubles), strings by code unit,
 * false before true, dates by time, arrays element by element (tuples as keys), other objects by their
 * canonical JSON. Values of different types order by type: undefined, null, boolean, number, bigint,
 * string, date, array, object.
 */
export function compareValues(a: unknown, b: unknown): number {
  const rank = rankOf(a) - rankOf(b);
  if (rank !== 0) return rank;
  switch (typeof a) {
    case 'number':
      return compareNumbers(a, b as number);
    case 'string':
    case 'bigint':
    case 'boolean':
      return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
    case 'undefined':
      return 0;
  }
  if (a === null) return 0;
  if (a instanceof Date) return compareNumbers(a.getTime(), (b as Date).getTime());
  if (Array.isArray(a)) return compareArrays(a, b as unknown[]);
  return compareStrings(canonicalJson(a), canonicalJson(b));
}

function compareNumbers(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareArrays(a: readonly unknown[], b: readonly unknown[]): number {
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    const order = compareValues(a[i], b[i]);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `compare`, with ties broken by the default order of `tieOf(row)` (the whole row unless told). */
export function totalOrder<T>(compare: Compare<T>, tieOf: (row: T) => unknown = (row) => row): Compare<T> {
  return (a, b) => compare(a, b) || compareValues(tieOf(a), tieOf(b));
}

/** `compare` reversed (for descending sorts and top). */
export function reversed<T>(compare: Compare<T>): Compare<T> {
  return (a, b) => compare(b, a);
}
