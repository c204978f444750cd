/**
 * The D-Streams paper's workloads as sluice jobs: Grep, WordCount (30 s window sliding by 1 s, with an
 * inverse reduce) and TopK (the 10 most frequent words of that window). Input is the pre-generated pool
 * read through `MemoryByteSource`: tasks read their own ranges, as from Kinesis. As a user would write
 * them over raw records (`decoder: 'bytes'`, `containsBytes`, `splitBytes`); `SLUICE_PAPER_API=strings`
 * runs the same jobs over decoded strings (`includes`, `split`) instead.
 * The job modules in `bench/jobs/paper-*.ts` are `paperJob(workload)`; tests pass `onAnswer` to see
 * each batch's result.
 */
import {
  containsBytes,
  type DStream,
  defineJob,
  type JobDefinition,
  MemoryByteSource,
  type Pair,
  splitBytes,
} from '../../src/engine';
import { GREP_PATTERN, RECORDS } from './records';

export type Workload = 'grep' | 'wordcount' | 'topk';
export const WORKLOADS: readonly Workload[] = ['grep', 'wordcount', 'topk'];

export const WINDOW = '30s';
export const TOP_K = 10;

/** Grep: matching records; WordCount: words in the window (or every count when observed); TopK: top 10. */
export type Answer = number | Pair<string, number>[];

/** The rate and partitions come from the environment, which worker threads inherit from the runner. */
export const RATE_ENV = 'SLUICE_PAPER_RATE';
export const PARTITIONS_ENV = 'SLUICE_PAPER_PARTITIONS';
/** `bytes` (default): records stay raw bytes; `strings`: every record is decoded first. */
export const API_ENV = 'SLUICE_PAPER_API';
export type Api = 'bytes' | 'strings';

export function apiFromEnv(): Api {
  return process.env[API_ENV] === 'strings' ? 'strings' : 'bytes';
}

export function paperJob(
  workload: Workload,
  onAnswer?: (time: number, answer: Answer) => void,
): JobDefinition {
  return defineJob({
    name: `paper-${workload}`,
    batchInterval: '1s',
    partitions: Number(process.env[PARTITIONS_ENV] ?? 4),
    build(ssc) {
      const source = <T>(decoder: 'bytes' | 'utf8') =>
        ssc.inputStream(
          new MemoryByteSource<T>('pool', {
            log: RECORDS,
            ratePerSecond: Number(process.env[RATE_ENV] ?? 100_000),
            decoder,
            cycle: true,
          }),
          { name: 'pool' },
        );
      const lines =
        apiFromEnv() === 'bytes'
          ? byteLines(source<Uint8Array>('bytes'))
          : stringLines(source<string>('utf8'));
      if (workload === 'grep') grep(lines, onAnswer);
      else if (workload === 'wordcount') wordCount(lines, onAnswer);
      else topK(lines, onAnswer);
    },
  });
}

/** The two operations the workloads need, on decoded lines or on raw records. */
interface Lines {
  matching(pattern: string): DStream<unknown>;
  words(): DStream<string>;
}

function byteLines(records: DStream<Uint8Array>): Lines {
  return {
    matching: (pattern) => records.filter(containsBytes(pattern)),
    words: () => records.flatMap(splitBytes(' ')),
  };
}

function stringLines(lines: DStream<string>): Lines {
  return {
    matching: (pattern) => lines.filter((line) => line.includes(pattern)),
    words: () => lines.flatMap((line) => line.split(' ')),
  };
}

type Observer = ((time: number, answer: Answer) => void) | undefined;

function grep(lines: Lines, onAnswer: Observer): void {
  lines
    .matching(GREP_PATTERN)
    .count()
    .foreachBatch(async (rdd, time) => {
      const [matches] = await rdd.collect();
      onAnswer?.(time, matches ?? 0);
    });
}

function windowedCounts(lines: Lines) {
  return lines
    .words()
    .map((word): Pair<string, number> => [word, 1])
    .reduceByKeyAndWindow((a, b) => a + b, {
      window: WINDOW,
      inverse: (a, b) => a - b,
      filter: ([, n]) => n > 0,
    });
}

function wordCount(lines: Lines, onAnswer: Observer): void {
  windowedCounts(lines).foreachBatch(async (rdd, time) => {
    // The benchmark only needs the window computed; a test observing it gets every count.
    if (onAnswer) onAnswer(time, await rdd.collect());
    else await rdd.count();
  });
}

function topK(lines: Lines, onAnswer: Observer): void {
  windowedCounts(lines)
    .mapPartitions((rows) => topOf(rows, TOP_K))
    .foreachBatch(async (rdd, time) => {
      const top = topOf(await rdd.collect(), TOP_K);
      onAnswer?.(time, top);
    });
}

/** The k largest counts, ties by word, so every run and the bare loop agree on the order. */
export function topOf(rows: Iterable<Pair<string, number>>, k: number): Pair<string, number>[] {
  const top: Pair<string, number>[] = [];
  for (const row of rows) {
    if (top.length === k && !before(row, top[k - 1])) continue;
    let i = top.length === k ? k - 1 : top.length;
    if (top.length < k) top.push(row);
    while (i > 0 && before(row, top[i - 1])) {
      top[i] = top[i - 1];
      i--;
    }
    top[i] = row;
  }
  return top;
}

function before(a: Pair<string, number>, b: Pair<string, number>): boolean {
  return a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);
}
