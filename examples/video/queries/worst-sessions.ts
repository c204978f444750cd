/**
 * Ad-hoc query over the running video job's live per-session state (the stream named 'sessions'):
 * the sessions of one CDN that buffered the most so far.
 *   npm run query -- examples/video/job.ts sessions --run examples/video/queries/worst-sessions.ts
 * The CDN comes from VIDEO_CDN (default: the CDN that degrades), how many from VIDEO_LIMIT (default 10).
 */
import type { Pair, RDD } from 'sluice';
import { CDNS, DEGRADATION } from '../heartbeats';
import type { SessionState } from '../sessions';

export interface WorstSession {
  session: string;
  city: string;
  bufferingRatio: number;
  bufferingMs: number;
  watchedMs: number;
  avgBitrateKbps: number;
  errors: number;
}

/** The `limit` live sessions of `cdn` with the highest buffering ratio (ties: more buffering, then id). */
export async function worstSessions(
  sessions: RDD<Pair<string, SessionState>>,
  { cdn, limit = 10 }: { cdn: string; limit?: number },
): Promise<WorstSession[]> {
  // Filter, projection and the partial top-N run as tasks over the snapshot's partitions: only `limit`
  // rows a partition come back.
  return sessions
    .filter(([, state]) => state.cdn === cdn && state.watchedMs > 0)
    .map(
      ([session, state]): WorstSession => ({
        session,
        city: state.city,
        bufferingRatio: state.bufferingMs / state.watchedMs,
        bufferingMs: state.bufferingMs,
        watchedMs: state.watchedMs,
        avgBitrateKbps: state.bitrateKbpsSum / state.heartbeats,
        errors: state.errors,
      }),
    )
    .top(
      limit,
      (a, b) =>
        a.bufferingRatio - b.bufferingRatio ||
        a.bufferingMs - b.bufferingMs ||
        // Equal sessions list by id, ascending.
        (a.session < b.session ? 1 : a.session > b.session ? -1 : 0),
    );
}

function limitFromEnv(): number {
  const raw = process.env.VIDEO_LIMIT;
  if (raw === undefined) return 10;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new RangeError(`VIDEO_LIMIT must be a positive whole number of sessions, got '${raw}'`);
  }
  return limit;
}

function cdnFromEnv(): string {
  const cdn = process.env.VIDEO_CDN ?? DEGRADATION.cdn;
  if (!(CDNS as readonly string[]).includes(cdn)) {
    throw new RangeError(`VIDEO_CDN must be one of ${CDNS.join(', ')}, got '${cdn}'`);
  }
  return cdn;
}

/** The query the CLI runs: the snapshot of 'sessions' in, rows out. */
export default function query(sessions: RDD<Pair<string, SessionState>>): Promise<WorstSession[]> {
  return worstSessions(sessions, { cdn: cdnFromEnv(), limit: limitFromEnv() });
}
