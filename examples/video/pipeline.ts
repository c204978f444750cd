/**
 * The video monitoring application, shared by the generator job and the Kinesis job: heartbeats in,
 * per (CDN, city) window metrics, per-session state with summaries on close, and buffering alerts out.
 */
import type { DStream, Pair, StreamingContext } from 'sluice';
import { CDNS, type Heartbeat } from './heartbeats';
import {
  addTotals,
  type BufferingAlert,
  bufferingJump,
  type CdnCityWindow,
  cdnCityKey,
  SLIDE,
  subtractTotals,
  type Totals,
  totalsOf,
  WINDOW,
  windowMetrics,
} from './metrics';
import { logAlerts, logCdnWindow, logClosedSessions, logWorstCities } from './report';
import { SESSION_TIMEOUT_MS, type SessionState, type SessionSummary, trackSession } from './sessions';

export interface VideoApp {
  /** Per (CDN, city), every slide, over the window. */
  cdnCityWindows: DStream<CdnCityWindow>;
  /** Per CDN (city '*'), every slide, over the window. */
  cdnWindows: DStream<CdnCityWindow>;
  /** One summary per session, in the batch where it ended or timed out. */
  closedSessions: DStream<SessionSummary>;
  /** Every live session's state after each batch (what ad-hoc queries read). */
  liveSessions: DStream<Pair<string, SessionState>>;
  alerts: DStream<BufferingAlert>;
}

/** Parses a heartbeat; a record that is not one fails here and is dead-lettered, not skipped. */
export function parseHeartbeat(record: string): Heartbeat {
  const beat = JSON.parse(record) as Heartbeat;
  if (typeof beat?.session !== 'string' || typeof beat.cdn !== 'string' || !(beat.intervalMs > 0)) {
    throw new TypeError(
      `not a heartbeat (needs session, cdn and a positive intervalMs): ${record.slice(0, 200)}`,
    );
  }
  return beat;
}

export function buildApp(
  ssc: StreamingContext,
  events: DStream<string>,
  options: { log?: boolean } = {},
): VideoApp {
  const heartbeats = events.map(parseHeartbeat);
  const window = { window: WINDOW, slide: SLIDE };
  // Two dozen (CDN, city) keys and four CDNs: a wide shuffle would only add tasks (Lambda invocations).
  const fewKeys = 2;

  const totals = heartbeats
    .map((beat): Pair<string, Totals> => [cdnCityKey(beat), totalsOf(beat)])
    .reduceByKeyAndWindow(addTotals, {
      ...window,
      inverse: subtractTotals,
      filter: ([, sums]) => sums.heartbeats > 0,
      partitions: fewKeys,
    });
  // Distinct sessions per (CDN, city): each (key, session) pair is counted in the window, then pairs are counted.
  const sessions = heartbeats
    .map((beat): Pair<string, string> => [cdnCityKey(beat), beat.session])
    .countByValueAndWindow(window)
    .map(([[key]]): Pair<string, number> => [key, 1])
    .reduceByKey((a, b) => a + b, fewKeys);
  const perCdnCity = totals.join(sessions, fewKeys);
  const cdnCityWindows = perCdnCity.map(([key, [sums, count]]) => windowMetrics(key, sums, count));

  const perCdn = perCdnCity
    .map(([key, value]): Pair<string, [Totals, number]> => [key.slice(0, key.indexOf('/')), value])
    .reduceByKey(([a, m], [b, n]): [Totals, number] => [addTotals(a, b), m + n], 1);
  const cdnWindows = perCdn.map(([cdn, [sums, count]]) => windowMetrics(`${cdn}/*`, sums, count));
  const alerts = perCdn
    .map(([cdn, [sums]]): Pair<string, number> => [cdn, sums.bufferingMs / sums.watchedMs])
    .mapWithState(bufferingJump, { partitions: 1 });

  const tracked = heartbeats
    .map((beat): Pair<string, Heartbeat> => [beat.session, beat])
    // A session's heartbeats of one batch arrive together, so trackSession can fold them in seq order.
    .groupByKey()
    .mapWithState(trackSession, { timeout: SESSION_TIMEOUT_MS });
  const app: VideoApp = {
    cdnCityWindows,
    cdnWindows,
    closedSessions: tracked,
    // Named, so ad-hoc queries can read the live sessions of a committed batch (npm run query).
    liveSessions: tracked.stateSnapshots().named('sessions'),
    alerts,
  };
  if (options.log ?? true) {
    cdnWindows.foreachBatch(async (rdd, time) => logCdnWindow(ssc.log, time, await rdd.collect(), CDNS));
    cdnCityWindows.foreachBatch(async (rdd) => logWorstCities(ssc.log, await rdd.collect()));
    alerts.foreachBatch(async (rdd, time) => logAlerts(ssc.log, time, await rdd.collect()));
    tracked.foreachBatch(async (rdd, time) => logClosedSessions(ssc.log, time, await rdd.collect()));
  }
  return app;
}
