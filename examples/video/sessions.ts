/**
 * Per-session state for mapWithState: a session's running totals, closed by its `ended` heartbeat or by
 * a timeout when the player stops sending (closed tab, lost network); either way one summary is emitted.
 */
import type { KeyState } from 'sluice';
import type { Heartbeat } from './heartbeats';

/** What the job keeps for every live session (the state a query reads). */
export interface SessionState {
  cdn: string;
  city: string;
  heartbeats: number;
  watchedMs: number;
  bufferingMs: number;
  bitrateKbpsSum: number;
  /** Known when the session's first heartbeat was seen (not for sessions already playing at start). */
  joinTimeMs: number | null;
  errors: number;
}

export interface SessionSummary extends SessionState {
  session: string;
  closedBy: 'ended' | 'timeout';
  bufferingRatio: number;
  avgBitrateKbps: number;
}

/** A session is closed after this long without heartbeats (three missed heartbeats). */
export const SESSION_TIMEOUT_MS = 15_000;

export function summarize(session: string, state: SessionState, closedBy: SessionSummary['closedBy']) {
  return {
    session,
    ...state,
    closedBy,
    bufferingRatio: state.watchedMs > 0 ? state.bufferingMs / state.watchedMs : 0,
    avgBitrateKbps: state.heartbeats > 0 ? state.bitrateKbpsSum / state.heartbeats : 0,
  } satisfies SessionSummary;
}

/**
 * mapWithState's function over a session's heartbeats of one batch: folds them into the session and
 * returns a summary when the session closes. Heartbeats are taken in their own order (`seq`), not the
 * order they were read in: Kinesis spreads one session's records over shards.
 */
export function trackSession(
  session: string,
  beats: Heartbeat[] | undefined,
  state: KeyState<SessionState>,
): SessionSummary | undefined {
  if (beats === undefined)
    return state.isTimingOut() ? summarize(session, state.get(), 'timeout') : undefined;
  let current = state.getOption();
  for (const beat of [...beats].sort((a, b) => a.seq - b.seq)) {
    current = {
      cdn: beat.cdn,
      city: beat.city,
      heartbeats: (current?.heartbeats ?? 0) + 1,
      watchedMs: (current?.watchedMs ?? 0) + beat.intervalMs,
      bufferingMs: (current?.bufferingMs ?? 0) + beat.bufferingMs,
      bitrateKbpsSum: (current?.bitrateKbpsSum ?? 0) + beat.bitrateKbps,
      joinTimeMs: current?.joinTimeMs ?? beat.joinTimeMs,
      errors: (current?.errors ?? 0) + (beat.errorCode === null ? 0 : 1),
    };
    if (beat.ended) {
      state.remove();
      return summarize(session, current, 'ended');
    }
  }
  if (current !== undefined) state.update(current);
  return undefined;
}
