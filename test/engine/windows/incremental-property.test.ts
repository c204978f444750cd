/**
 * Property: incremental windows (reduceByKeyAndWindow with an inverse) agree with the window recomputed
 * from scratch, for random inputs, windows, slides, partitions and checkpoint intervals. The naive
 * reference counts each key over the batches in (t - window, t] for every output time t.
 */
import fc from 'fast-check';
import type { DStream, Pair } from '../../../src/engine';
import { runBatchesDetailed } from '../../../src/engine/testing';
import { sortedMultiset } from '../operations/helpers';
import { guarded } from './helpers';

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
  /** Checkpoint every this many slides; undefined keeps the default interval. */
  checkpointSlides?: number;
  /** Empty batches run after the input, so that windows drain. */
  extraBatches: number;
}

const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    inputs: fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 15 }), {
      minLength: 1,
      maxLength: 12,
    }),
    windowBatches: fc.integer({ min: 1, max: 5 }),
    slideFraction: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    partitions: fc.integer({ min: 1, max: 4 }),
    workers: fc.integer({ min: 1, max: 3 }),
    checkpointSlides: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    extraBatches: fc.integer({ min: 0, max: 6 }),
  })
  .map(({ slideFraction, ...rest }) => ({
    ...rest,
    // 1 ..= windowBatches, so the slide never exceeds the window.
    slideBatches: 1 + Math.floor(slideFraction * rest.windowBatches),
  }));

/** Output times: the multiples of the slide up to the last batch. */
function outputTimes(c: Case): number[] {
  const batches = c.inputs.length + c.extraBatches;
  const times: number[] = [];
  for (let t = c.slideBatches * BATCH_MS; t <= batches * BATCH_MS; t += c.slideBatches * BATCH_MS)
    times.push(t);
  return times;
}

/** Counts of each key over the batches whose time is in (t - window, t]; input i is at (i + 1) s. */
function naiveWindow(c: Case, t: number): KV[] {
  const counts = new Map<string, number>();
  c.inputs.forEach((batch, i) => {
    const time = (i + 1) * BATCH_MS;
    if (time <= t - c.windowBatches * BATCH_MS || time > t) return;
    for (const key of batch) counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return [...counts.entries()];
}

/** Every key seen in a batch at or before t. */
function keysUpTo(c: Case, t: number): string[] {
  const keys = new Set<string>();
  c.inputs.forEach((batch, i) => {
    if ((i + 1) * BATCH_MS <= t) for (const key of batch) keys.add(key);
  });
  return [...keys].sort();
}

async function run(c: Case, build: (pairs: DStream<KV>) => DStream<KV>) {
  return runBatchesDetailed(c.inputs, (s) => build(s.map((key): KV => [key, 1])), {
    ...guarded(),
    batchMs: BATCH_MS,
    partitions: c.partitions,
    workers: c.workers,
    numBatches: c.inputs.length + c.extraBatches,
  });
}

function windowOptions(c: Case) {
  return { window: c.windowBatches * BATCH_MS, slide: c.slideBatches * BATCH_MS };
}

function withCheckpoint(c: Case, stream: DStream<KV>): DStream<KV> {
  return c.checkpointSlides === undefined
    ? stream
    : stream.checkpoint(c.checkpointSlides * c.slideBatches * BATCH_MS);
}

const sorted = (batches: KV[][]) => batches.map((b) => sortedMultiset(b));

describe('incremental reduceByKeyAndWindow agrees with the naive window', () => {
  it('with inverse and a filter dropping zeros, equals the window recomputed from scratch', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const result = await run(c, (s) =>
          withCheckpoint(
            c,
            s.reduceByKeyAndWindow(sum, {
              ...windowOptions(c),
              inverse: minus,
              filter: (entry) => entry[1] !== 0,
              partitions: c.partitions,
            }),
          ),
        );
        const times = outputTimes(c);
        expect(result.times).toEqual(times);
        expect(sorted(result.outputs)).toEqual(sorted(times.map((t) => naiveWindow(c, t))));
      }),
      { numRuns: 25 },
    );
  });

  it('with inverse and no filter, equals the naive window plus every earlier key at 0', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const result = await run(c, (s) =>
          withCheckpoint(c, s.reduceByKeyAndWindow(sum, { ...windowOptions(c), inverse: minus })),
        );
        const times = outputTimes(c);
        expect(result.times).toEqual(times);
        result.outputs.forEach((batch, i) => {
          const t = times[i];
          // Without zeros it is the naive window.
          expect(sortedMultiset(batch.filter(([, v]) => v !== 0))).toEqual(sortedMultiset(naiveWindow(c, t)));
          // No key is ever dropped: every key seen so far is present, exactly once.
          expect(batch.map(([k]) => k).sort()).toEqual(keysUpTo(c, t));
          for (const [, value] of batch) expect(value).toBeGreaterThanOrEqual(0);
        });
      }),
      { numRuns: 25 },
    );
  });

  it('without inverse, equals the naive window exactly', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const result = await run(c, (s) =>
          s.reduceByKeyAndWindow(sum, { ...windowOptions(c), partitions: c.partitions }),
        );
        const times = outputTimes(c);
        expect(result.times).toEqual(times);
        expect(sorted(result.outputs)).toEqual(sorted(times.map((t) => naiveWindow(c, t))));
      }),
      { numRuns: 25 },
    );
  });

  it('countByValueAndWindow equals the naive per-value counts', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const result = await runBatchesDetailed(c.inputs, (s) => s.countByValueAndWindow(windowOptions(c)), {
          ...guarded(),
          partitions: c.partitions,
          workers: c.workers,
          numBatches: c.inputs.length + c.extraBatches,
        });
        const times = outputTimes(c);
        expect(result.times).toEqual(times);
        expect(sorted(result.outputs)).toEqual(sorted(times.map((t) => naiveWindow(c, t))));
      }),
      { numRuns: 15 },
    );
  });

  it('window() over the input equals the batches in (t - window, t], in batch then input order', async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const result = await runBatchesDetailed(c.inputs, (s) => s.window(windowOptions(c)), {
          ...guarded(),
          partitions: c.partitions,
          workers: c.workers,
          numBatches: c.inputs.length + c.extraBatches,
        });
        const times = outputTimes(c);
        expect(result.times).toEqual(times);
        expect(result.outputs).toEqual(
          times.map((t) =>
            c.inputs
              .filter(
                (_, i) => (i + 1) * BATCH_MS > t - c.windowBatches * BATCH_MS && (i + 1) * BATCH_MS <= t,
              )
              .flat(),
          ),
        );
      }),
      { numRuns: 15 },
    );
  });
});
