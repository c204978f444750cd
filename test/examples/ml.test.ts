/**
 * The online-learning example: its per-segment models checked against online and batch EM written out
 * plainly here (loops over the same generated records), and the example run as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { Pair } from 'sluice';
import { runBatches, runBatchesDetailed } from 'sluice/testing';
import { gpsRecord, steadyGpsRecord } from '../../examples/ml/gps-generator';
import { SEGMENTS } from '../../examples/ml/road-network';
import { buildApp } from '../../examples/ml/traffic-pipeline';
import type { SegmentModel } from '../../examples/ml/travel-time-model';

/** [weight, Σ r·x, Σ r·x²] of the free-flow and the congested regime. */
type Stats = { free: number[]; jam: number[] };

function batchesOf(record: (i: number) => string, batches: number, perBatch: number): string[][] {
  return Array.from({ length: batches }, (_, b) =>
    Array.from({ length: perBatch }, (_, i) => record(b * perBatch + i)),
  );
}

/** log travel times per segment, in record order. */
function bySegment(records: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const line of records) {
    const { segment, travelTimeS } = JSON.parse(line);
    if (!groups.has(segment)) groups.set(segment, []);
    groups.get(segment)!.push(Math.log(travelTimeS));
  }
  return groups;
}

/** The map-based start: free flow at the limit, jams at a quarter of it, sd 0.25, 5 observations each. */
function startStats(lengthM: number, limitKmh: number): Stats {
  const free = Math.log(lengthM / (limitKmh / 3.6));
  const jam = free + Math.log(4);
  return {
    free: [5, 5 * free, 5 * (0.0625 + free * free)],
    jam: [5, 5 * jam, 5 * (0.0625 + jam * jam)],
  };
}

function params(stats: Stats) {
  const regime = ([w, s, q]: number[]) => {
    const mean = s / w;
    return { mean, sd: Math.sqrt(Math.max(q / w - mean * mean, 1e-4)) };
  };
  return {
    p: stats.jam[0] / (stats.jam[0] + stats.free[0]),
    free: regime(stats.free),
    jam: regime(stats.jam),
  };
}

function density(x: number, mean: number, sd: number): number {
  return Math.exp(-((x - mean) ** 2) / (2 * sd * sd)) / (sd * Math.sqrt(2 * Math.PI));
}

/** One E-step: each observation split between the regimes by posterior probability. */
function eStep(stats: Stats, xs: readonly number[]): Stats {
  const { p, free, jam } = params(stats);
  const out: Stats = { free: [0, 0, 0], jam: [0, 0, 0] };
  for (const x of xs) {
    const a = (1 - p) * density(x, free.mean, free.sd);
    const b = p * density(x, jam.mean, jam.sd);
    const r = b / (a + b);
    out.free[0] += 1 - r;
    out.free[1] += (1 - r) * x;
    out.free[2] += (1 - r) * x * x;
    out.jam[0] += r;
    out.jam[1] += r * x;
    out.jam[2] += r * x * x;
  }
  return out;
}

/** Batch EM from the same map-based start (without its pseudo-observations) until nothing moves. */
function batchFit(xs: readonly number[], start: Stats) {
  let stats = eStep(start, xs);
  for (let i = 0; i < 1000; i++) {
    const next = eStep(stats, xs);
    const [a, b] = [params(stats), params(next)];
    stats = next;
    if (Math.abs(a.p - b.p) + Math.abs(a.free.mean - b.free.mean) + Math.abs(a.jam.mean - b.jam.mean) < 1e-10)
      break;
  }
  return params(stats);
}

function expectStatsClose(model: SegmentModel, expected: Stats): void {
  const actual = [model.free.weight, model.free.sum, model.free.sumSquares];
  const actualJam = [model.congested.weight, model.congested.sum, model.congested.sumSquares];
  for (let i = 0; i < 3; i++) {
    expect(actual[i]).toBeCloseTo(expected.free[i], 7);
    expect(actualJam[i]).toBeCloseTo(expected.jam[i], 7);
  }
}

function modelsOf(batch: Pair<string, SegmentModel>[]): Map<string, SegmentModel> {
  return new Map(batch);
}

describe('online travel-time model (examples/ml)', () => {
  it('updates every segment each interval exactly as a plain online EM step with decay 0.9', async () => {
    const inputs = batchesOf(gpsRecord, 3, 400);
    const outputs = await runBatches(
      inputs,
      (lines) => buildApp(lines.context, lines, { decay: 0.9, report: false }).models,
      { partitions: 3 },
    );
    expect(outputs).toHaveLength(3);
    const state = new Map(SEGMENTS.map((s) => [s.id, startStats(s.lengthM, s.limitKmh)]));
    for (let b = 0; b < 3; b++) {
      const groups = bySegment(inputs[b]);
      const models = modelsOf(outputs[b]);
      expect([...models.keys()].sort()).toEqual(SEGMENTS.map((s) => s.id).sort());
      for (const [id, old] of state) {
        const xs = groups.get(id) ?? [];
        const fresh = eStep(old, xs);
        const next: Stats =
          xs.length === 0
            ? old
            : {
                free: old.free.map((v, i) => 0.9 * v + fresh.free[i]),
                jam: old.jam.map((v, i) => 0.9 * v + fresh.jam[i]),
              };
        state.set(id, next);
        expectStatsClose(models.get(id)!, next);
        expect(models.get(id)!.lastBatch.count).toBe(xs.length);
      }
    }
  });

  it('converges to the batch EM fit of the same steady records: free-flow mean and congestion share within 0.005, jam mean within 0.04 log-seconds after 40 intervals (the map prior still counts where jams are rare)', async () => {
    const inputs = batchesOf(steadyGpsRecord, 40, 1000);
    const outputs = await runBatches(
      inputs,
      (lines) => buildApp(lines.context, lines, { decay: 1, report: false }).models,
      { partitions: 2 },
    );
    const gapsAfter = (batches: number) => {
      const streamed = modelsOf(outputs[batches - 1]);
      const all = bySegment(inputs.slice(0, batches).flat());
      return SEGMENTS.map((segment) => {
        const batch = batchFit(all.get(segment.id)!, startStats(segment.lengthM, segment.limitKmh));
        const model = streamed.get(segment.id)!;
        const online = params({
          free: [model.free.weight, model.free.sum, model.free.sumSquares],
          jam: [model.congested.weight, model.congested.sum, model.congested.sumSquares],
        });
        return {
          free: Math.abs(online.free.mean - batch.free.mean),
          jam: Math.abs(online.jam.mean - batch.jam.mean),
          p: Math.abs(online.p - batch.p),
        };
      });
    };
    const early = gapsAfter(10);
    const late = gapsAfter(40);
    const total = (gaps: typeof late) => gaps.reduce((sum, g) => sum + g.free + g.jam + g.p, 0);
    expect(total(late)).toBeLessThan(total(early) / 2);
    for (const gap of late) {
      expect(gap.free).toBeLessThan(0.005);
      expect(gap.p).toBeLessThan(0.005);
      expect(gap.jam).toBeLessThan(0.04);
    }
  });

  it('dead-letters a record that is not a traversal of a mapped segment instead of learning from it', async () => {
    const clean = batchesOf(gpsRecord, 2, 200);
    const bad = [
      JSON.stringify({ report: 1, vehicle: 'v1', segment: 'nowhere-rd', travelTimeS: 30 }),
      JSON.stringify({ report: 2, vehicle: 'v1', segment: 'bridge', travelTimeS: -4 }),
      'not json',
    ];
    const build = (lines: Parameters<typeof buildApp>[1]) =>
      buildApp(lines.context, lines, { report: false }).models;
    const withBad = await runBatchesDetailed([[...clean[0], ...bad], clean[1]], build, { partitions: 2 });
    expect(withBad.outputs).toEqual(await runBatches(clean, build, { partitions: 2 }));
    const records = [];
    for (const { key } of await withBad.store.list('deadletters/')) {
      records.push(...JSON.parse(new TextDecoder().decode(await withBad.store.get(key))).records);
    }
    expect(records.map((r: { data: string }) => r.data).sort()).toEqual([...bad].sort());
    expect(records.map((r: { error: string }) => r.error).join('\n')).toMatch(
      /segment "nowhere-rd", which is not on the map/,
    );
  });

  it('runs with npm run example:ml on the memory runtime, printing the model quality every interval', () => {
    const run = spawnSync(
      'npm',
      ['run', '--silent', 'example:ml', '--', '--duration', '4', '--runtime', 'memory'],
      {
        cwd: resolve(__dirname, '../..'),
        encoding: 'utf8',
        timeout: 90_000,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/t\+\d+s \d+ obs \| log-lik\/obs -?\d/);
    expect(run.stdout).toMatch(/most congested: /);
    expect(run.stdout).toMatch(/batch .* records=\d+/);
    expect(run.stdout).toMatch(/sluice example ml: stopped/);
  }, 120_000);
});
