/**
 * Property: hopping windows (slide longer than the window) agree with a naive reference that buckets
 * records by batch time, whatever the partitions and workers. Output times are the multiples of the
 * slide; the window at t holds the batches whose time is in (t - window, t].
 */
import fc from 'fast-check';
import type { DStream, Pair } from '../../../src/engine';
import { runBatchesDetailed } from '../../../src/engine/testing';
import { sortedMultiset } from '../operations/helpers';
import { guarded } from '../windows/helpers';

type KV = Pair<string, number>;

const BATCH_MS = 1000;
const sum = (a: number, b: number) => a + b;
const minus = (a: number, b: number) => a - b;

interface Case {
  inputs: string[][];
  windowBatches: number;
  slideBatches: number;
  partitions: number;
  workers: number;
}

const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    inputs: fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 8 }), {
      minLength: 1,
      maxLength: 14,
    }),
    windowBatches: fc.integer({ min: 1, max: 3 }),
    extraSlide: fc.integer({ min: 1, max: 3 }),
    partitions: fc.integer({ min: 1, max: 4 }),
    workers: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ extraSlide, ...rest }) => ({ ...rest, slideBatches: rest.windowBatches + extraSlide }));

function outputTimes(c: Case): number[] {
  const times: number[] = [];
  const slide = c.slideBatches * BATCH_MS;
  for (let t = slide; t <= c.inputs.length * BATCH_MS; t += slide) times.push(t);
  return times;
}

/** The records of the batches in (t - window, t], in batch then input order. */
function bucket(c: Case, t: number): string[] {
  return c.inputs
    .filter((_, i) => {
      const time = (i + 1) * BATCH_MS;
      return time > t - c.windowBatches * BATCH_MS && time <= t;
    })
    .flat();
}

function counts(records: string[]): KV[] {
  const out = new Map<string, number>();
  for (const key of records) out.set(key, (out.get(key) ?? 0) + 1);
  return [...out.entries()];
}

function run<O>(c: Case, build: (s: DStream<string>) => DStream<O>) {
  return runBatchesDetailed(c.inputs, build, {
    ...guarded(),
    batchMs: BATCH_MS,
    partitions: c.partitions,
    workers: c.workers,
  });
}

function windowOf(c: Case) {
  return { window: c.windowBatches * BATCH_MS, slide: c.slideBatches * BATCH_MS };
}

const sorted = <T>(batches: T[][]) => batches.map((b) => sortedMultiset(b));
const pairs = (s: DStream<string>) => s.map((key): KV => [key, 1]);

describe('hopping windows agree with records bucketed by batch time', () => {
  it('window() holds exactly the records of the batches in the window, in order', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const result = await run(c, (s) => s.window(windowOf(c)));
        const times = outputTimes(c);
        expect(result.times).toEqual(times);
        expect(result.outputs).toEqual(times.map((t) => bucket(c, t)));
      }),
      { numRuns: 20 },
    );
  });

  it('reduceByKeyAndWindow, with and without an inverse, counts each key of the window', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, fc.boolean(), async (c, withInverse) => {
        const options = {
          ...windowOf(c),
          partitions: c.partitions,
          ...(withInverse ? { inverse: minus } : {}),
        };
        const result = await run(c, (s) => pairs(s).reduceByKeyAndWindow(sum, options));
        const times = outputTimes(c);
        expect(result.times).toEqual(times);
        expect(sorted(result.outputs)).toEqual(sorted(times.map((t) => counts(bucket(c, t)))));
      }),
      { numRuns: 20 },
    );
  });

  it('countByValueAndWindow counts each value of the window', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const result = await run(c, (s) => s.countByValueAndWindow(windowOf(c)));
        expect(sorted(result.outputs)).toEqual(sorted(outputTimes(c).map((t) => counts(bucket(c, t)))));
      }),
      { numRuns: 15 },
    );
  });

  it('countByWindow counts the records of the window (0 when it has none)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const result = await run(c, (s) => s.countByWindow(windowOf(c)));
        expect(result.outputs).toEqual(outputTimes(c).map((t) => [bucket(c, t).length]));
      }),
      { numRuns: 15 },
    );
  });

  it('reduceByWindow with an inverse joins the records of the window (nothing when it has none)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        // Concatenation in sorted order is commutative, so the reference need not know the partition order.
        const join = (a: string, b: string) => [...a, ...b].sort().join('');
        const result = await run(c, (s) => s.reduceByWindow(join, { ...windowOf(c), inverse: (a) => a }));
        expect(result.outputs).toEqual(
          outputTimes(c).map((t) => {
            const records = bucket(c, t);
            return records.length === 0 ? [] : [[...records].sort().join('')];
          }),
        );
      }),
      { numRuns: 15 },
    );
  });
});
