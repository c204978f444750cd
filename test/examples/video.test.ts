/**
 * The video example's numbers checked against a plain computation over the same generated heartbeats:
 * window metrics per (CDN, city) and per CDN, session summaries (ended and timed out), alert times.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { DEGRADATION, type Heartbeat, heartbeatGenerator } from '../../examples/video/heartbeats';
import { buildApp } from '../../examples/video/pipeline';
import { type DStream, ManualClock, MemoryStore, StreamingContext } from '../../src/engine';

import { batchAt, expectedSummaries, RATE } from './video-reference';

const BATCHES = 85;
const generate = heartbeatGenerator(RATE);
const batchTimes = Array.from({ length: BATCHES }, (_, i) => (i + 1) * 1000);
const windowTimes = batchTimes.filter((t) => t % 5000 === 0);

interface Expected {
  cdn: string;
  city: string;
  sessions: number;
  avgBitrateKbps: number;
  bufferingRatio: number;
  avgJoinTimeMs: number | null;
  errors: number;
}

/** Metrics of one window, grouped by `keyOf`, computed by looping over the window's heartbeats. */
function expectedWindow(end: number, keyOf: (beat: Heartbeat) => [string, string]): Expected[] {
  const groups = new Map<string, { cdn: string; city: string; beats: Heartbeat[]; sessions: Set<string> }>();
  for (let t = Math.max(1000, end - 29_000); t <= end; t += 1000) {
    for (const beat of batchAt(t)) {
      const [cdn, city] = keyOf(beat);
      const group = groups.get(`${cdn}/${city}`) ?? { cdn, city, beats: [], sessions: new Set<string>() };
      group.beats.push(beat);
      group.sessions.add(beat.session);
      groups.set(`${cdn}/${city}`, group);
    }
  }
  return [...groups.values()].map(({ cdn, city, beats, sessions }) => {
    let bitrate = 0;
    let buffering = 0;
    let watched = 0;
    let joinSum = 0;
    let joins = 0;
    let errors = 0;
    for (const beat of beats) {
      bitrate += beat.bitrateKbps;
      buffering += beat.bufferingMs;
      watched += beat.intervalMs;
      if (beat.joinTimeMs !== null) {
        joinSum += beat.joinTimeMs;
        joins++;
      }
      if (beat.errorCode !== null) errors++;
    }
    return {
      cdn,
      city,
      sessions: sessions.size,
      avgBitrateKbps: bitrate / beats.length,
      bufferingRatio: buffering / watched,
      avgJoinTimeMs: joins > 0 ? joinSum / joins : null,
      errors,
    };
  });
}

function byKey<T extends { cdn: string; city: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (`${a.cdn}/${a.city}` < `${b.cdn}/${b.city}` ? -1 : 1));
}

interface Run {
  cdnCity: Map<number, unknown[]>;
  cdn: Map<number, unknown[]>;
  closed: Map<number, { session: string }[]>;
  live: Map<number, unknown[]>;
  alerts: Map<number, { cdn: string }[]>;
}

async function runApp(): Promise<Run> {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 3, name: 'video-test' });
  const events = ssc.generatorStream({ ratePerSecond: RATE, generate: (i) => JSON.stringify(generate(i)) });
  const app = buildApp(ssc, events, { log: false });
  const collect = <T>(stream: DStream<T>) => {
    const batches = new Map<number, T[]>();
    stream.foreachBatch(async (rdd, time) => {
      batches.set(time, await rdd.collect());
    });
    return batches;
  };
  const run: Run = {
    cdnCity: collect(app.cdnCityWindows),
    cdn: collect(app.cdnWindows),
    closed: collect(app.closedSessions),
    live: collect(app.liveSessions),
    alerts: collect(app.alerts),
  };
  ssc.start({
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: BATCHES,
    store: new MemoryStore(),
    workers: 2,
    retry: { backoffMs: 0 },
  });
  await ssc.awaitTermination();
  return run;
}

function bySession<T extends { session: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.session < b.session ? -1 : 1));
}

describe('video session monitoring example', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runApp();
  }, 120_000);

  it('gives every (CDN, city) its window metrics every 5 s, equal to a plain count over the last 30 s', () => {
    expect([...run.cdnCity.keys()].sort((a, b) => a - b)).toEqual(windowTimes);
    for (const time of windowTimes) {
      expect(byKey(run.cdnCity.get(time) as Expected[])).toEqual(
        byKey(expectedWindow(time, (beat) => [beat.cdn, beat.city])),
      );
    }
  });

  it('gives every CDN its window metrics over all its cities', () => {
    for (const time of windowTimes) {
      expect(byKey(run.cdn.get(time) as Expected[])).toEqual(
        byKey(expectedWindow(time, (beat) => [beat.cdn, '*'])),
      );
    }
  });

  it('summarizes every session once, when it ends or 15 s after its last heartbeat', () => {
    const { closed } = expectedSummaries(batchTimes);
    const kinds = new Set<unknown>();
    for (const time of batchTimes) {
      const expected = closed.get(time) ?? [];
      for (const summary of expected) kinds.add(summary.closedBy);
      expect(bySession(run.closed.get(time) ?? [])).toEqual(bySession(expected as { session: string }[]));
    }
    // The generated mix must exercise both ways a session closes.
    expect(kinds).toEqual(new Set(['ended', 'timeout']));
  });

  it('keeps the state of exactly the sessions still open, with their totals so far', () => {
    const { liveAt } = expectedSummaries(batchTimes);
    for (const time of batchTimes) {
      const expected = [...liveAt.get(time)!].map(([session, { lastSeen: _, ...totals }]) => [
        session,
        totals,
      ]);
      const actual = [...((run.live.get(time) ?? []) as [string, unknown][])];
      const order = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : 1);
      expect(actual.sort(order)).toEqual((expected as [string, unknown][]).sort(order));
    }
  });

  it('alerts once when a CDN buffering ratio more than doubles past 5%: at the start of each degradation', () => {
    const actual = [...run.alerts.entries()]
      .flatMap(([time, alerts]) => alerts.map((alert) => `${alert.cdn}@${time}`))
      .sort();
    const expected: string[] = [];
    const previous = new Map<string, number>();
    const inAlert = new Set<string>();
    for (const time of windowTimes) {
      for (const { cdn, bufferingRatio } of expectedWindow(time, (beat) => [beat.cdn, '*'])) {
        const before = previous.get(cdn);
        if (bufferingRatio <= 0.05) inAlert.delete(cdn);
        else if (before !== undefined && !inAlert.has(cdn) && bufferingRatio > 2 * before) {
          expected.push(`${cdn}@${time}`);
          inAlert.add(cdn);
        }
        previous.set(cdn, bufferingRatio);
      }
    }
    expect(actual).toEqual(expected.sort());
    // Degradation starts at second 15 of each minute: the first window holding it ends at 20 s, then 80 s.
    expect(actual).toEqual([`${DEGRADATION.cdn}@20000`, `${DEGRADATION.cdn}@80000`]);
  });
});

describe('video sessions read out of order', () => {
  it('closes a session once even when its ended heartbeat is read before earlier ones', async () => {
    const beat = (seq: number, ended: boolean): Heartbeat => ({
      session: 's1',
      cdn: 'akamai',
      city: 'Paris',
      bitrateKbps: 1000 * (seq + 1),
      bufferingMs: 100 * seq,
      intervalMs: 5000,
      joinTimeMs: seq === 0 ? 900 : null,
      errorCode: seq === 1 ? 'HTTP_503' : null,
      ended,
      seq,
    });
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'video-order' });
    const input = [[beat(2, true), beat(0, false), beat(1, false)].map((b) => JSON.stringify(b)), []];
    const app = buildApp(ssc, ssc.queueStream(input), { log: false });
    const closed: unknown[] = [];
    const live: number[] = [];
    app.closedSessions.foreachBatch(async (rdd) => {
      closed.push(...(await rdd.collect()));
    });
    app.liveSessions.foreachBatch(async (rdd) => {
      live.push((await rdd.collect()).length);
    });
    ssc.start({
      clock: new ManualClock(0, { autoAdvance: true }),
      zeroTime: 0,
      batches: 2,
      store: new MemoryStore(),
    });
    await ssc.awaitTermination();
    expect(closed).toEqual([
      {
        session: 's1',
        cdn: 'akamai',
        city: 'Paris',
        heartbeats: 3,
        watchedMs: 15_000,
        bufferingMs: 300,
        bitrateKbpsSum: 6000,
        joinTimeMs: 900,
        errors: 1,
        closedBy: 'ended',
        bufferingRatio: 0.02,
        avgBitrateKbps: 2000,
      },
    ]);
    expect(live).toEqual([0, 0]);
  });
});

describe('video heartbeats that are not heartbeats', () => {
  it('dead-letters them, counted, and goes on with the rest of the batch', async () => {
    const valid = (n: number): Heartbeat => ({
      session: `s${n}`,
      cdn: 'edgio',
      city: 'Berlin',
      bitrateKbps: 3000,
      bufferingMs: 0,
      intervalMs: 5000,
      joinTimeMs: 1200,
      errorCode: null,
      ended: true,
      seq: 0,
    });
    const sessions = Array.from({ length: 30 }, (_, n) => valid(n));
    // Within the engine's default allowance for bad records (10% of a partition).
    const bad = ['{"session": "x"', JSON.stringify({ session: 'y', cdn: 'edgio' })];
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 1, name: 'video-bad-input' });
    const input = [[bad[0], ...sessions.map((beat) => JSON.stringify(beat)), bad[1]]];
    const app = buildApp(ssc, ssc.queueStream(input), { log: false });
    const closed: string[] = [];
    app.closedSessions.foreachBatch(async (rdd) => {
      closed.push(...(await rdd.collect()).map((summary) => summary.session));
    });
    let deadLetters = 0;
    ssc.start({
      clock: new ManualClock(0, { autoAdvance: true }),
      zeroTime: 0,
      batches: 1,
      store: new MemoryStore(),
      onBatch: (info) => {
        deadLetters += info.deadLetters;
      },
    });
    await ssc.awaitTermination();
    expect(closed.sort()).toEqual(sessions.map((beat) => beat.session).sort());
    expect(deadLetters).toBe(2);
  });
});

describe('video heartbeat generator', () => {
  it('plays each session from one CDN and city, a heartbeat every 5 s, ended only on its last', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 5_000 }),
        (rate, firstSecond) => {
          const gen = heartbeatGenerator(rate);
          const seen = new Map<string, { beat: Heartbeat; index: number }>();
          const closed = new Set<string>();
          const problems: string[] = [];
          for (let i = rate * firstSecond; i < rate * (firstSecond + 120); i++) {
            const beat = gen(i);
            if (JSON.stringify(gen(i)) !== JSON.stringify(beat))
              problems.push(`${i}: not a pure function of the index`);
            const last = seen.get(beat.session);
            if (closed.has(beat.session)) problems.push(`${i}: heartbeat after ${beat.session} ended`);
            if (last) {
              const same =
                beat.cdn === last.beat.cdn && beat.city === last.beat.city && beat.seq === last.beat.seq + 1;
              if (i - last.index !== 5 * rate || !same)
                problems.push(`${i}: ${beat.session} does not follow ${last.index}`);
            }
            if ((beat.joinTimeMs === null) !== beat.seq > 0)
              problems.push(`${i}: join time on heartbeat ${beat.seq}`);
            if (beat.ended) closed.add(beat.session);
            seen.set(beat.session, { beat, index: i });
          }
          expect(problems).toEqual([]);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('npm run example:video', () => {
  it('runs on the memory runtime, prints batches and sessions, and exits 0', async () => {
    const { stdout } = await promisify(execFile)(
      'npm',
      ['run', 'example:video', '--', '--duration', '4', '--runtime', 'memory', '--rate', '200'],
      { cwd: resolve(__dirname, '../..'), timeout: 90_000 },
    );
    expect(stdout).toMatch(/batch \d\d:\d\d:\d\d\.\d+ records=200 /);
    expect(stdout).toMatch(/sessions closed: \d+ \(\d+ ended, \d+ timed out\)/);
    expect(stdout).toContain('sluice example video: stopped');
  }, 120_000);
});
