/**
 * Property: a job written over raw records (containsBytes, splitBytes with interned keys) gives the same
 * batches as the same job over decoded strings, through the real planner, map-side combiner, shuffle and
 * window, for random text with multi-byte UTF-8.
 */
import fc from 'fast-check';
import { containsBytes, type Pair, splitBytes, utf8Bytes } from '../../../src/engine';
import { runBatches } from '../../../src/engine/testing';

const RUNS = 15;

const wordArb = fc.constantFrom('the', 'cat', 'é', 'naïve', '€uro', '😀', '', 'a😀b', 'CAT');
const lineArb = fc.array(wordArb, { maxLength: 8 }).map((words) => words.join(' '));
const batchesArb = fc.array(fc.array(lineArb, { maxLength: 12 }), { minLength: 1, maxLength: 5 });
const optionsArb = fc.record({
  partitions: fc.integer({ min: 1, max: 4 }),
  workers: fc.integer({ min: 1, max: 3 }),
});

const sorted = (batches: Pair<string, number>[][]) =>
  batches.map((rows) => [...rows].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
const asBytes = (batches: string[][]) => batches.map((lines) => lines.map(utf8Bytes));

describe('jobs over raw bytes and over strings', () => {
  it('count the same words per batch and over a window', async () => {
    await fc.assert(
      fc.asyncProperty(batchesArb, optionsArb, async (batches, options) => {
        const window = {
          window: 2000,
          inverse: (a: number, b: number) => a - b,
          filter: ([, n]: Pair<string, number>) => n > 0,
        };
        const overStrings = await runBatches(
          batches,
          (lines) =>
            lines
              .flatMap((line) => line.split(' '))
              .map((word): Pair<string, number> => [word, 1])
              .reduceByKeyAndWindow((a, b) => a + b, window),
          options,
        );
        const overBytes = await runBatches(
          asBytes(batches),
          (records) =>
            records
              .flatMap(splitBytes(' '))
              .map((word): Pair<string, number> => [word, 1])
              .reduceByKeyAndWindow((a, b) => a + b, window),
          options,
        );
        expect(sorted(overBytes)).toEqual(sorted(overStrings));
      }),
      { numRuns: RUNS },
    );
  });

  it('count the same matching records', async () => {
    await fc.assert(
      fc.asyncProperty(batchesArb, wordArb, optionsArb, async (batches, pattern, options) => {
        const overStrings = await runBatches(
          batches,
          (lines) => lines.filter((l) => l.includes(pattern)).count(),
          options,
        );
        const overBytes = await runBatches(
          asBytes(batches),
          (records) => records.filter(containsBytes(pattern)).count(),
          options,
        );
        expect(overBytes).toEqual(overStrings);
      }),
      { numRuns: RUNS },
    );
  });
});
