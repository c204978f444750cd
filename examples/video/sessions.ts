/**
 * Per-session state for mapWithState: a session's running totals, closed by its `ended` heartbeat or by
 * a timeout when the player stops sending (closed tab, lost network); either way one summary is emitted.
 */
import type { KeyState } from '../../src/engine/graph';
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

/** mapWithState's function: folds a heartbeat into the session; returns a summary when the session closes. */
export function trackSession(
  session: string,
  beat: Heartbeat | undefined,
  state: KeyState<SessionState>,
): SessionSummary | undefined {
  if (beat === undefined) return state.isTimingOut() ? summarize(session, state.get(), 'timeout') : undefined;
  const previous = state.getOption();
  const next: SessionState = {
    cdn: beat.cdn,
    city: beat.city,
    heartbeats: (previous?.heartbeats ?? 0) + 1,
    watchedMs: (previous?.watchedMs ?? 0) + beat.intervalMs,
    bufferingMs: (previous?.bufferingMs ?? 0) + beat.bufferingMs,
    bitrateKbpsSum: (previous?.bitrateKbpsSum ?? 0) + beat.bitrateKbps,
    joinTimeMs: previous?.joinTimeMs ?? beat.joinTimeMs,
    errors: (previous?.errors ?? 0) + (beat.errorCode === null ? 0 : 1),
  };
  if (beat.ended) {
    state.remove();
    return summarize(session, next, 'ended');
  }
  state.update(next);
  return undefined;
}
