/**
 * The event-analytics application: API events in; trending endpoints (top-K over a sliding window, kept
 * incrementally) and, within seconds, an alert for any service whose 5xx share over a short window
 * crosses a threshold, naming the team that owns it. The generator-fed job and the Kinesis job both
 * build this.
 */
import type { DStream, Pair, StreamingContext } from 'sluice';
import type { ApiEvent } from './api-traffic';
import { decodeOwners, OWNERS_LOCATION, type Owner } from './owners';

export const TRENDING = { window: '10s', slide: '2s', top: 5 } as const;
export const ERROR_WINDOW = '5s';
/** Alert when at least this share of a service's requests in the window failed on the server side... */
export const ALERT_ERROR_RATE = 0.05;
/** ...out of at least this many requests (a handful of requests says little). */
export const ALERT_MIN_REQUESTS = 50;

export interface ServiceAlert {
  service: string;
  errors: number;
  requests: number;
  rate: number;
  owner: Owner | null;
}

/** [server errors, requests] */
type ErrorCount = Pair<number, number>;

export class BadEventError extends Error {
  override name = 'BadEventError';
}

/** A malformed event is refused with what is wrong; the engine dead-letters it with its position. */
export function parseEvent(line: string): ApiEvent {
  let event: Partial<ApiEvent>;
  try {
    event = JSON.parse(line);
  } catch (cause) {
    throw new BadEventError(`API event is not JSON: ${line.slice(0, 80)}`, { cause });
  }
  const { service, endpoint, status, latencyMs, userId } = event ?? {};
  if (typeof service !== 'string' || service === '' || typeof endpoint !== 'string') {
    throw new BadEventError(`API event needs service and endpoint strings: ${line.slice(0, 120)}`);
  }
  if (!Number.isInteger(status) || status! < 100 || status! > 599) {
    throw new BadEventError(`API event status must be an HTTP status code: ${line.slice(0, 120)}`);
  }
  if (typeof latencyMs !== 'number' || !(latencyMs >= 0) || typeof userId !== 'string') {
    throw new BadEventError(`API event needs latencyMs >= 0 and a userId: ${line.slice(0, 120)}`);
  }
  return event as ApiEvent;
}

/** The k largest counts, ties broken by name so every run and every partitioning agree. */
export function topK(entries: Pair<string, number>[], k: number): Pair<string, number>[] {
  return entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, k);
}

export function buildApp(ssc: StreamingContext, lines: DStream<string>, options: { report?: boolean } = {}) {
  const events = lines.map(parseEvent);

  // Incremental: each slide adds the 2 s that entered and subtracts the 2 s that left the window.
  const endpointCounts = events
    .map((e): Pair<string, number> => [e.endpoint, 1])
    .reduceByKeyAndWindow((a, b) => a + b, {
      window: TRENDING.window,
      slide: TRENDING.slide,
      inverse: (a, b) => a - b,
      filter: ([, count]) => count > 0,
    });
  const trending = endpointCounts.map((entry) => [entry]).reduce((a, b) => topK(a.concat(b), TRENDING.top));

  const errorRates = events
    .map((e): Pair<string, ErrorCount> => [e.service, [e.status >= 500 ? 1 : 0, 1]])
    .reduceByKeyAndWindow((a, b): ErrorCount => [a[0] + b[0], a[1] + b[1]], {
      window: ERROR_WINDOW,
      slide: '1s',
      inverse: (a, b): ErrorCount => [a[0] - b[0], a[1] - b[1]],
      filter: ([, [, requests]]) => requests > 0,
    });
  const failing = errorRates.filter(
    ([, [errors, requests]]) => requests >= ALERT_MIN_REQUESTS && errors / requests >= ALERT_ERROR_RATE,
  );
  // A small table: listed when the job starts, read once per process, broadcast to the tasks, never re-read
  // per batch. A left outer join, so a service missing from the table still alerts.
  const owners = ssc.dataset<Pair<string, Owner>>(OWNERS_LOCATION, { decode: decodeOwners, name: 'owners' });
  const alerts = failing.leftOuterJoinDataset(owners, { broadcast: true }).map(
    ([service, [[errors, requests], owner]]): ServiceAlert => ({
      service,
      errors,
      requests,
      rate: errors / requests,
      owner,
    }),
  );

  if (options.report ?? true) report(ssc, trending, alerts);
  return { events, trending, errorRates, alerts };
}

function report(
  ssc: StreamingContext,
  trending: DStream<Pair<string, number>[]>,
  alerts: DStream<ServiceAlert>,
): void {
  const at = (time: number) => `t+${((time - ssc.graph.zeroTime) / 1000).toFixed(0)}s`;
  trending.foreachBatch(async (rdd, time) => {
    const [top] = await rdd.collect();
    if (!top) return;
    const entries = top.map(([endpoint, count]) => `${endpoint} ${count}`).join(' · ');
    ssc.log(`${at(time)} trending (last ${TRENDING.window}): ${entries}`);
  });
  alerts.foreachBatch(async (rdd, time) => {
    const firing = (await rdd.collect()).sort((a, b) => (a.service < b.service ? -1 : 1));
    for (const alert of firing) ssc.log(`${at(time)} ${alertLine(alert)}`);
  });
}

export function alertLine(alert: ServiceAlert): string {
  const who = alert.owner
    ? `${alert.owner.team} ${alert.owner.channel}${alert.owner.escalation ? ` (${alert.owner.escalation})` : ''}`
    : `no owner on record for '${alert.service}': add one to examples/events/data/owners.jsonl`;
  return `ALERT ${alert.service}: 5xx ${(alert.rate * 100).toFixed(1)}% of ${alert.requests} requests over the last ${ERROR_WINDOW} -> ${who}`;
}
