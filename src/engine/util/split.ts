/** Contiguous, nearly equal slices in order: how a batch's records become its input partitions. */
export function splitEvenly<T>(records: readonly T[], parts: number): T[][] {
  const size = Math.ceil(records.length / parts);
  return Array.from({ length: parts }, (_, i) => records.slice(i * size, (i + 1) * size));
}
