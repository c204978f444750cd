/**
 * Quality-of-experience metrics per (CDN, city) over a sliding window, and the buffering alert per CDN.
 * Totals are sums, so the window is kept incrementally (add the batch that enters, subtract the one that leaves).
 */
import type { KeyState } from 'sluice';
import type { Heartbeat } from './heartbeats';

export const WINDOW = '30s';
export const SLIDE = '5s';

/** Sums over a window; every metric is a ratio of two of them. */
export interface Totals {
  heartbeats: number;
  bitrateKbpsSum: number;
  bufferingMs: number;
  watchedMs: number;
  joinTimeMsSum: number;
  joins: number;
  errors: number;
}

export function totalsOf(beat: Heartbeat): Totals {
  return {
    heartbeats: 1,
    bitrateKbpsSum: beat.bitrateKbps,
    bufferingMs: beat.bufferingMs,
    watchedMs: beat.intervalMs,
    joinTimeMsSum: beat.joinTimeMs ?? 0,
    joins: beat.joinTimeMs === null ? 0 : 1,
    errors: beat.errorCode === null ? 0 : 1,
  };
}

function combine(a: Totals, b: Totals, sign: 1 | -1): Totals {
  return {
    heartbeats: a.heartbeats + sign * b.heartbeats,
    bitrateKbpsSum: a.bitrateKbpsSum + sign * b.bitrateKbpsSum,
    bufferingMs: a.bufferingMs + sign * b.bufferingMs,
    watchedMs: a.watchedMs + sign * b.watchedMs,
    joinTimeMsSum: a.joinTimeMsSum + sign * b.joinTimeMsSum,
    joins: a.joins + sign * b.joins,
    errors: a.errors + sign * b.errors,
  };
}

export const addTotals = (a: Totals, b: Totals) => combine(a, b, 1);
export const subtractTotals = (a: Totals, b: Totals) => combine(a, b, -1);

/** One (CDN, city) over one window: what an operations dashboard shows. */
export interface CdnCityWindow {
  cdn: string;
  city: string;
  /** Distinct sessions that sent a heartbeat in the window. */
  sessions: number;
  avgBitrateKbps: number;
  /** Buffering ms / watched ms. */
  bufferingRatio: number;
  /** Average join time of the sessions that started in the window (null when none did). */
  avgJoinTimeMs: number | null;
  errors: number;
}

export function cdnCityKey(beat: Pick<Heartbeat, 'cdn' | 'city'>): string {
  return `${beat.cdn}/${beat.city}`;
}

export function windowMetrics(key: string, totals: Totals, sessions: number): CdnCityWindow {
  const slash = key.indexOf('/');
  return {
    cdn: key.slice(0, slash),
    city: key.slice(slash + 1),
    sessions,
    avgBitrateKbps: totals.bitrateKbpsSum / totals.heartbeats,
    bufferingRatio: totals.bufferingMs / totals.watchedMs,
    avgJoinTimeMs: totals.joins > 0 ? totals.joinTimeMsSum / totals.joins : null,
    errors: totals.errors,
  };
}

/**
 * Fires when a CDN's window buffering ratio more than doubles from its previous window and exceeds 5%;
 * once per episode: a CDN stays in alert (and silent) until its ratio is back under 5%, since with
 * overlapping windows an outage keeps raising the ratio for a whole window length.
 */
export const ALERT_FACTOR = 2;
export const ALERT_MIN_RATIO = 0.05;

export interface BufferingAlert {
  cdn: string;
  bufferingRatio: number;
  previousRatio: number;
}

/** The previous window's ratio and whether the CDN is in alert. */
export interface AlertState {
  ratio: number;
  alerting: boolean;
}

/** mapWithState's function over each window's per-CDN buffering ratio. */
export function bufferingJump(
  cdn: string,
  ratio: number | undefined,
  state: KeyState<AlertState>,
): BufferingAlert | undefined {
  if (ratio === undefined) return undefined;
  const previous = state.getOption();
  const jumped =
    previous !== undefined &&
    !previous.alerting &&
    ratio > ALERT_FACTOR * previous.ratio &&
    ratio > ALERT_MIN_RATIO;
  state.update({ ratio, alerting: jumped || (ratio > ALERT_MIN_RATIO && previous?.alerting === true) });
  return jumped ? { cdn, bufferingRatio: ratio, previousRatio: previous.ratio } : undefined;
}
