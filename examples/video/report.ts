/** What the video example prints: a few lines per window and one per batch, as an operator would want. */
import type { BufferingAlert, CdnCityWindow } from './metrics';
import type { SessionSummary } from './sessions';

type Log = (line: string) => void;

function clock(time: number): string {
  return new Date(time).toISOString().slice(11, 19);
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** The per-CDN table of one window. */
export function logCdnWindow(log: Log, time: number, rows: CdnCityWindow[], cdns: readonly string[]): void {
  log(`window ending ${clock(time)}   sessions   bitrate  buffering   join  errors`);
  const byCdn = new Map(rows.map((row) => [row.cdn, row]));
  for (const cdn of cdns) {
    const row = byCdn.get(cdn);
    if (!row) continue;
    const join = row.avgJoinTimeMs === null ? '-' : `${(row.avgJoinTimeMs / 1000).toFixed(1)}s`;
    log(
      `  ${cdn.padEnd(21)}${String(row.sessions).padStart(9)}${`${(row.avgBitrateKbps / 1000).toFixed(1)}Mbps`.padStart(10)}${percent(row.bufferingRatio).padStart(11)}${join.padStart(7)}${String(row.errors).padStart(8)}`,
    );
  }
}

/** The (CDN, city) pairs with the most buffering in the window. */
export function logWorstCities(log: Log, rows: CdnCityWindow[]): void {
  const worst = [...rows]
    .sort((a, b) => b.bufferingRatio - a.bufferingRatio || (a.cdn + a.city < b.cdn + b.city ? -1 : 1))
    .slice(0, 3)
    .map((row) => `${row.cdn}/${row.city} ${percent(row.bufferingRatio)}`);
  if (worst.length > 0) log(`  most buffering: ${worst.join(', ')}`);
}

export function logAlerts(log: Log, time: number, alerts: BufferingAlert[]): void {
  for (const alert of alerts) {
    log(
      `ALERT ${clock(time)} ${alert.cdn}: buffering ratio ${percent(alert.bufferingRatio)} over the last window, up from ${percent(alert.previousRatio)}`,
    );
  }
}

/** One line per batch: how many sessions closed and how, and the worst of them. */
export function logClosedSessions(log: Log, time: number, closed: SessionSummary[]): void {
  if (closed.length === 0) return;
  const timedOut = closed.filter((summary) => summary.closedBy === 'timeout').length;
  const worst = closed.reduce((a, b) => (b.bufferingRatio > a.bufferingRatio ? b : a));
  log(
    `${clock(time)} sessions closed: ${closed.length} (${closed.length - timedOut} ended, ${timedOut} timed out); most buffering: ${worst.session} on ${worst.cdn}/${worst.city} ${percent(worst.bufferingRatio)} of ${Math.round(worst.watchedMs / 1000)}s`,
  );
}
