/** The job every chaos run drives, and its input: a windowed and a stateful word count into one sink. */
import type { DStream, Pair, StoreSink } from '../../src/engine';
import { canonicalJson } from '../../src/engine/util/hash';
import { seededRandom } from '../faults';

export type Row = Pair<string, number> | Pair<string, [string, number]>;

/** Words with this prefix make the job's map throw: poison records, dead-lettered by the engine. */
export const POISON = 'poison:';

export function inputsFor(seed: number, batches: number): string[][] {
  const random = seededRandom(seed * 7919 + 1);
  const words = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox', 'gnu', 'hen', 'ibis', 'jay'];
  return Array.from({ length: batches }, () =>
    Array.from(
      { length: 5 + Math.floor(random() * 30) },
      () => words[Math.floor(random() * random() * words.length)],
    ),
  );
}

/**
 * The same inputs with poison words added: one in batch `forced` for certain, one in each other batch
 * with probability `rate` (at most one a batch, so a task's input never holds more poison than the
 * engine's default isolation limit allows). The fault-free reference runs on the inputs without them.
 */
export function poisoned(
  inputs: string[][],
  random: () => number,
  forced: number,
  rate = 0.1,
): { inputs: string[][]; count: number } {
  let count = 0;
  const out = inputs.map((words, i) => {
    if (i + 1 !== forced && random() >= rate) return words;
    count++;
    const at = Math.floor(random() * (words.length + 1));
    return [...words.slice(0, at), `${POISON}${i + 1}`, ...words.slice(at)];
  });
  return { inputs: out, count };
}

/**
 * The job under test: a 5 s sliding window (incremental) and running totals, both into one sink. With
 * `driverOutputs`, also driver code in foreachBatch (a take and a collect over task-computed partitions),
 * whose result per batch time is kept there: a re-run batch overwrites it with what must be the same.
 */
export function chaosPipeline(
  words: DStream<string>,
  sink: StoreSink<Row>,
  driverOutputs?: Map<number, string>,
): void {
  const pairs = words.map((w): Pair<string, number> => {
    if (w.startsWith(POISON)) throw new Error(`poison record ${w}`);
    return [w, 1];
  });
  const windowed = pairs
    .reduceByKeyAndWindow((a, b) => a + b, { window: '5s', slide: '1s', inverse: (a, b) => a - b })
    .map(([w, n]): Row => [`window:${w}`, n]);
  const totals = pairs
    .updateStateByKey<string, number, number>((values, total) => (total ?? 0) + values.length)
    .map(([w, n]): Row => [`total:${w}`, n]);
  const both = windowed.union(totals);
  both.writeTo(sink);
  if (driverOutputs) {
    both.foreachBatch(async (rdd, time) => {
      const top = await rdd
        .filter(([key]) => key.startsWith('total:'))
        .map(([key, n]) => `${key}=${n}`)
        .take(4);
      const keys = await rdd.map(([key]) => key).collect();
      driverOutputs.set(time, canonicalJson([top, keys.length]));
    });
  }
}
