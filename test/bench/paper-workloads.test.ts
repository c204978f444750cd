/** The paper benchmarks compare like with like: engine jobs and bare loops give the same answers. */

import { bareLoop } from '../../bench/paper/bare-loops';
import {
  type Answer,
  API_ENV,
  type Api,
  PARTITIONS_ENV,
  paperJob,
  RATE_ENV,
  type Workload,
} from '../../bench/paper/workloads';
import { contextFor, ManualClock, type Pair } from '../../src/engine';

const RATE = 600;

async function engineAnswers(workload: Workload, batches: number, api: Api): Promise<Map<number, Answer>> {
  const answers = new Map<number, Answer>();
  const saved = {
    rate: process.env[RATE_ENV],
    partitions: process.env[PARTITIONS_ENV],
    api: process.env[API_ENV],
  };
  process.env[RATE_ENV] = String(RATE);
  process.env[PARTITIONS_ENV] = '3';
  process.env[API_ENV] = api;
  try {
    const ssc = contextFor(
      paperJob(workload, (time, answer) => answers.set(time / 1000 - 1, answer)),
      () => undefined,
    );
    ssc.start({ clock: new ManualClock(0, { autoAdvance: true }), batches, workers: 2 });
    await ssc.awaitTermination();
  } finally {
    restore(RATE_ENV, saved.rate);
    restore(PARTITIONS_ENV, saved.partitions);
    restore(API_ENV, saved.api);
  }
  return answers;
}

function restore(name: string, value: string | undefined) {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

const byWord = (rows: Iterable<Pair<string, number>>) => [...rows].sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe('paper workloads: the bare loops', () => {
  it('over raw bytes and over decoded strings give the same answers, batch after batch', () => {
    for (const workload of ['grep', 'wordcount', 'topk'] as Workload[]) {
      const bytes = bareLoop(workload, RATE, 1000, 'bytes');
      const strings = bareLoop(workload, RATE, 1000, 'strings');
      for (let k = 0; k < 33; k++) expect(bytes.batch(k)).toEqual(strings.batch(k));
      if (workload !== 'grep') expect(byWord(bytes.window!)).toEqual(byWord(strings.window!));
    }
  });
});

// Each engine job against the loop of its own kind; the loops agree with each other (above).
describe.each([
  ['bytes', 'bytes'],
  ['strings', 'strings'],
] as [Api, Api][])('paper workloads: engine jobs over %s and bare loops over %s', (api, loopApi) => {
  it('count the same grep matches in every batch', async () => {
    const engine = await engineAnswers('grep', 3, api);
    const loop = bareLoop('grep', RATE, 1000, loopApi);
    const expected = [0, 1, 2].map((k) => loop.batch(k));
    expect([0, 1, 2].map((k) => engine.get(k))).toEqual(expected);
    expect(expected.some((n) => (n as number) > 0)).toBe(true);
  });

  it('hold the same word counts in the 30 s window, also after batches leave it', async () => {
    const batches = 33;
    const engine = await engineAnswers('wordcount', batches, api);
    const loop = bareLoop('wordcount', RATE, 1000, loopApi);
    for (let k = 0; k < batches; k++) {
      loop.batch(k);
      if (k === 0 || k === 29 || k >= 30) {
        expect(byWord(engine.get(k) as Pair<string, number>[])).toEqual(byWord(loop.window!));
      }
    }
  });

  it('find the same top 10 words of the window', async () => {
    const batches = 32;
    const engine = await engineAnswers('topk', batches, api);
    const loop = bareLoop('topk', RATE, 1000, loopApi);
    for (let k = 0; k < batches; k++) {
      const top = loop.batch(k) as Pair<string, number>[];
      expect(top).toHaveLength(10);
      expect(engine.get(k)).toEqual(top);
    }
  });
});
