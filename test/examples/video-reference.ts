/**
 * A plain reference for the video example's tests: the generated heartbeats of each batch and the
 * sessions they make, computed with loops over the heartbeats (not with the example's own functions).
 */
import { type Heartbeat, heartbeatGenerator } from '../../examples/video/heartbeats';

export const RATE = 40;
const generate = heartbeatGenerator(RATE);

/** The heartbeats of the batch at `time` (batch i holds indexes [RATE * i, RATE * (i + 1)), at time 1000 * (i + 1)). */
export function batchAt(time: number): Heartbeat[] {
  const batch = time / 1000 - 1;
  const beats: Heartbeat[] = [];
  for (let i = RATE * batch; i < RATE * (batch + 1); i++) beats.push(generate(i));
  return beats;
}

export interface PlainSession {
  cdn: string;
  city: string;
  heartbeats: number;
  watchedMs: number;
  bufferingMs: number;
  bitrateKbpsSum: number;
  joinTimeMs: number | null;
  errors: number;
  lastSeen: number;
}

/** Session summaries per batch time, tracked by hand: closed by `ended`, or 15 s after the last heartbeat. */
export function expectedSummaries(batchTimes: readonly number[]) {
  const open = new Map<string, PlainSession>();
  const closed = new Map<number, Record<string, unknown>[]>();
  const close = (time: number, session: string, s: PlainSession, closedBy: string) => {
    const { lastSeen: _, ...totals } = s;
    const summaries = closed.get(time) ?? [];
    summaries.push({
      session,
      ...totals,
      closedBy,
      bufferingRatio: s.bufferingMs / s.watchedMs,
      avgBitrateKbps: s.bitrateKbpsSum / s.heartbeats,
    });
    closed.set(time, summaries);
  };
  const liveAt = new Map<number, Map<string, PlainSession>>();
  for (const time of batchTimes) {
    const seen = new Set<string>();
    for (const beat of batchAt(time)) {
      seen.add(beat.session);
      const s = open.get(beat.session) ?? {
        cdn: beat.cdn,
        city: beat.city,
        heartbeats: 0,
        watchedMs: 0,
        bufferingMs: 0,
        bitrateKbpsSum: 0,
        joinTimeMs: beat.joinTimeMs,
        errors: 0,
        lastSeen: time,
      };
      s.heartbeats++;
      s.watchedMs += beat.intervalMs;
      s.bufferingMs += beat.bufferingMs;
      s.bitrateKbpsSum += beat.bitrateKbps;
      if (beat.errorCode !== null) s.errors++;
      s.lastSeen = time;
      open.set(beat.session, s);
      if (beat.ended) {
        open.delete(beat.session);
        close(time, beat.session, s, 'ended');
      }
    }
    for (const [session, s] of open) {
      if (!seen.has(session) && time - s.lastSeen >= 15_000) {
        open.delete(session);
        close(time, session, s, 'timeout');
      }
    }
    liveAt.set(time, new Map([...open].map(([session, s]) => [session, { ...s }])));
  }
  return { closed, liveAt };
}
