/**
 * The event-analytics example: trending endpoints and 5xx alerts checked against window counts written
 * out plainly here (loops over the same generated events), owners against the owners file itself, and
 * the example run as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { ManualClock, MemoryStore, type Pair, StreamingContext } from 'sluice';
import { apiEvent } from '../../examples/events/api-traffic';
import { alertLine, buildApp, type ServiceAlert } from '../../examples/events/event-pipeline';

const BATCH_MS = 1000;

/** Runs the app over `inputs` (batch i at time (i + 1) s) and keeps every batch of its trending and alerts. */
async function runApp(inputs: string[][], partitions = 3, workers = 2) {
  const ssc = new StreamingContext({ batchInterval: BATCH_MS, partitions, name: 'events-test' });
  const app = buildApp(ssc, ssc.queueStream(inputs), { report: false });
  const trending = new Map<number, Pair<string, number>[][]>();
  const alerts = new Map<number, ServiceAlert[]>();
  app.trending.foreachBatch(async (rdd, time) => {
    trending.set(time, await rdd.collect());
  });
  app.alerts.foreachBatch(async (rdd, time) => {
    alerts.set(time, await rdd.collect());
  });
  const store = new MemoryStore();
  ssc.start({
    store,
    clock: new ManualClock(0, { autoAdvance: true }),
    zeroTime: 0,
    batches: inputs.length,
    workers,
    retry: { backoffMs: 0 },
  });
  await ssc.awaitTermination();
  const deadLetters: { data: string; error: string; position: unknown }[] = [];
  for (const { key } of await store.list('deadletters/')) {
    deadLetters.push(...JSON.parse(new TextDecoder().decode(await store.get(key))).records);
  }
  return { trending, alerts, deadLetters };
}

function generated(batches: number, perBatch: number): string[][] {
  return Array.from({ length: batches }, (_, b) =>
    Array.from({ length: perBatch }, (_, i) => apiEvent(b * perBatch + i)),
  );
}

/** The parsed events of the batches whose times fall in (end - windowMs, end]. */
function eventsIn(inputs: string[][], end: number, windowMs: number) {
  const events = [];
  for (let b = 0; b < inputs.length; b++) {
    const time = (b + 1) * BATCH_MS;
    if (time > end - windowMs && time <= end) events.push(...inputs[b].map((line) => JSON.parse(line)));
  }
  return events;
}

/** The top 5 endpoints of the 10 s window ending at `time`, counted directly. */
function expectedTrending(inputs: string[][], time: number): Pair<string, number>[] {
  const counts = new Map<string, number>();
  for (const e of eventsIn(inputs, time, 10_000)) counts.set(e.endpoint, (counts.get(e.endpoint) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
}

/** The services with at least 5% server errors among at least 50 requests in the 5 s ending at `time`. */
function expectedAlerts(inputs: string[][], time: number) {
  const perService = new Map<string, [number, number]>();
  for (const e of eventsIn(inputs, time, 5000)) {
    const [errors, requests] = perService.get(e.service) ?? [0, 0];
    perService.set(e.service, [errors + (e.status >= 500 ? 1 : 0), requests + 1]);
  }
  return [...perService.entries()]
    .filter(([, [errors, requests]]) => requests >= 50 && errors / requests >= 0.05)
    .map(([service, [errors, requests]]) => ({ service, errors, requests, rate: errors / requests }))
    .sort((a, b) => (a.service < b.service ? -1 : 1));
}

function alertsAt(alerts: Map<number, ServiceAlert[]>, time: number) {
  return (alerts.get(time) ?? [])
    .map(({ service, errors, requests, rate }) => ({ service, errors, requests, rate }))
    .sort((a, b) => (a.service < b.service ? -1 : 1));
}

function ownersFile(): Map<string, { team: string; channel: string; escalation: string }> {
  const text = readFileSync(resolve(__dirname, '../../examples/events/data/owners.jsonl'), 'utf8');
  const owners = new Map();
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const { service, team, channel, escalation } = JSON.parse(line);
    owners.set(service, { team, channel, escalation });
  }
  return owners;
}

describe('API event analytics (examples/events)', () => {
  const inputs = generated(32, 1000);
  let run: Awaited<ReturnType<typeof runApp>>;

  beforeAll(async () => {
    run = await runApp(inputs);
  });

  it('reports the top 5 endpoints of the last 10 s every 2 s, as counted directly', () => {
    const times = [...run.trending.keys()].sort((a, b) => a - b);
    expect(times).toEqual(Array.from({ length: 16 }, (_, i) => (i + 1) * 2000));
    for (const time of times) expect(run.trending.get(time)).toEqual([expectedTrending(inputs, time)]);
    // The promotion of GET /categories/{id} (from event 15,000) takes it to the top within the window.
    expect(run.trending.get(16_000)![0][0][0]).toBe('GET /search');
    expect(run.trending.get(24_000)![0][0][0]).toBe('GET /categories/{id}');
  });

  it('alerts, each second, exactly the services whose 5xx share over the last 5 s is at least 5% of 50+ requests', () => {
    for (let time = BATCH_MS; time <= inputs.length * BATCH_MS; time += BATCH_MS) {
      expect(alertsAt(run.alerts, time)).toEqual(expectedAlerts(inputs, time));
    }
  });

  it('alerts on payments within a second of its outage (events 20,000 to 26,000) and on nothing else', () => {
    const alertTimes = [...run.alerts.entries()]
      .filter(([, alerts]) => alerts.length > 0)
      .map(([time, alerts]) => [time, alerts.map((a) => a.service)] as const)
      .sort((a, b) => a[0] - b[0]);
    // The outage's first events arrive in the batch at 21 s; the 5 s window forgets the last at 31 s.
    expect(alertTimes).toEqual(Array.from({ length: 10 }, (_, i) => [(21 + i) * 1000, ['payments']]));
  });

  it("names each alerting service's owner from examples/events/data/owners.jsonl", () => {
    const owners = ownersFile();
    const alerts = [...run.alerts.values()].flat();
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      expect(alert.owner).toEqual(owners.get(alert.service));
      expect(alertLine(alert)).toContain(
        `${owners.get(alert.service)!.team} ${owners.get(alert.service)!.channel}`,
      );
    }
  });

  it('alerts on a service missing from the owners table, saying no owner is on record', async () => {
    const failing = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({
        service: 'ledger',
        endpoint: 'POST /entries',
        status: i % 2 ? 500 : 200,
        latencyMs: 30,
        userId: `u${i}`,
      }),
    );
    const { alerts } = await runApp([failing]);
    const [alert] = alerts.get(1000)!;
    expect(alert).toEqual({ service: 'ledger', errors: 30, requests: 60, rate: 0.5, owner: null });
    expect(alertLine(alert)).toContain("no owner on record for 'ledger'");
  });

  it('dead-letters malformed events with the reason and counts only the good ones', async () => {
    const good = generated(2, 300);
    const bad = [
      '{"service":"search"}',
      '{"service":"search","endpoint":"GET /search","status":99}',
      '<html>',
    ];
    const withBad = await runApp([[...good[0], ...bad], good[1]]);
    expect(withBad.trending.get(2000)).toEqual([expectedTrending(good, 2000)]);
    // Both shuffles that read the parsed events report them, so records are told apart by position.
    const byPosition = new Map(withBad.deadLetters.map((r) => [JSON.stringify(r.position), r.data]));
    expect([...byPosition.values()].sort()).toEqual([...bad].sort());
    expect(withBad.deadLetters.map((r) => r.error).join('\n')).toMatch(/status must be an HTTP status code/);
  });

  it('gives the same trending and alerts as direct counts for any events, partitions and workers', async () => {
    const eventArb = fc
      .record({
        endpoint: fc.constantFrom('GET /a', 'GET /b', 'POST /c', 'GET /d', 'GET /e', 'GET /f', 'GET /g'),
        status: fc.constantFrom(200, 200, 200, 404, 500, 503),
        latencyMs: fc.nat(2000),
      })
      .map(({ endpoint, status, latencyMs }) =>
        JSON.stringify({
          service: endpoint.slice(-1) < 'd' ? 'front' : 'back',
          endpoint,
          status,
          latencyMs,
          userId: 'u1',
        }),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(eventArb, { maxLength: 40 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        async (batches, partitions, workers) => {
          const { trending, alerts } = await runApp(batches, partitions, workers);
          for (let time = BATCH_MS; time <= batches.length * BATCH_MS; time += BATCH_MS) {
            const top = expectedTrending(batches, time);
            if (time % 2000 === 0) expect(trending.get(time)).toEqual(top.length > 0 ? [top] : []);
            expect(alertsAt(alerts, time)).toEqual(expectedAlerts(batches, time));
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('runs with npm run example:events on the memory runtime, printing trending endpoints', () => {
    const run = spawnSync(
      'npm',
      ['run', '--silent', 'example:events', '--', '--duration', '4', '--runtime', 'memory'],
      { cwd: resolve(__dirname, '../..'), encoding: 'utf8', timeout: 90_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/t\+2s trending \(last 10s\): GET \/search \d+/);
    expect(run.stdout).toMatch(/batch .* records=\d+/);
    expect(run.stdout).toMatch(/sluice example events: stopped/);
  }, 120_000);
});
