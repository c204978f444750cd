/**
 * Spark-style operation tests: input batches, an operation, the expected output batches.
 * By default the output must match exactly (batch by batch, element order included); with `useSet`
 * each batch is compared as a multiset, for operations whose output order is not defined (shuffles).
 */
import { type DStream, ManualClock, StreamingContext } from '../../../src/engine';
import { type RunBatchesOptions, runBatches, runBatches2 } from '../../../src/engine/testing';

export interface TestOperationOptions extends RunBatchesOptions {
  /** Compare every batch as a multiset (order-insensitive, duplicates counted). */
  useSet?: boolean;
}

/**
 * A stable text form of a value, used to sort multisets. Object keys are sorted; Maps, undefined and
 * non-finite numbers are kept distinct from plain objects, null and each other.
 */
export function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : `#${value}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Map) {
    const entries = [...value.entries()].map(([k, v]) => `${canonical(k)}=>${canonical(v)}`).sort();
    return `Map{${entries.join(',')}}`;
  }
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The elements sorted by their canonical form: equal multisets sort to equal arrays. */
export function sortedMultiset<T>(values: readonly T[]): T[] {
  return values
    .map((v) => [canonical(v), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, v]) => v);
}

export function expectBatches<O>(actual: O[][], expected: O[][], useSet = false): void {
  if (!useSet) {
    expect(actual).toEqual(expected);
    return;
  }
  expect(actual.length).toBe(expected.length);
  expect(actual.map((batch) => sortedMultiset(batch))).toEqual(
    expected.map((batch) => sortedMultiset(batch)),
  );
}

/** Runs `op` over `inputs` for `expected.length` batches (unless `numBatches` says otherwise). */
export async function testOperation<I, O>(
  inputs: I[][],
  op: (stream: DStream<I>) => DStream<O>,
  expected: O[][],
  options: TestOperationOptions = {},
): Promise<void> {
  const { useSet = false, ...runOptions } = options;
  const actual = await runBatches(inputs, op, { numBatches: expected.length, ...runOptions });
  expectBatches(actual, expected, useSet);
}

/** Like testOperation, for operations on two input streams. */
export async function testOperation2<A, B, O>(
  inputs1: A[][],
  inputs2: B[][],
  op: (a: DStream<A>, b: DStream<B>) => DStream<O>,
  expected: O[][],
  options: TestOperationOptions = {},
): Promise<void> {
  const { useSet = false, ...runOptions } = options;
  const actual = await runBatches2(inputs1, inputs2, op, { numBatches: expected.length, ...runOptions });
  expectBatches(actual, expected, useSet);
}

/**
 * Runs a program over any number of queue streams (the harness offers one or two), collecting each
 * batch of the result the way runBatches does.
 */
export async function runStreams<T, O>(
  inputs: T[][][],
  build: (streams: DStream<T>[]) => DStream<O>,
  options: { partitions?: number; numBatches?: number; workers?: number } = {},
): Promise<O[][]> {
  const ssc = new StreamingContext({
    batchInterval: 1000,
    partitions: options.partitions ?? 2,
    name: 'test',
  });
  const collected = new Map<number, O[]>();
  build(inputs.map((batches) => ssc.queueStream(batches))).foreachBatch(async (rdd, time) => {
    collected.set(time, await rdd.collect());
  });
  ssc.start({
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: options.numBatches ?? Math.max(...inputs.map((i) => i.length)),
    workers: options.workers ?? 2,
    retry: { backoffMs: 0 },
  });
  await ssc.awaitTermination();
  return [...collected.keys()].sort((a, b) => a - b).map((t) => collected.get(t)!);
}
