/**
 * Synthetic video-player heartbeats, the Conviva shape: every playing session reports every few seconds
 * which CDN and city it plays from, its bitrate, how long it buffered in the last interval and any error;
 * the first heartbeat carries the join time (click to first frame), the last one `ended` unless the player
 * simply vanished (closed tab, lost network), which the job detects by timeout.
 *
 * A record is a pure function of its index, so any interval can be regenerated (replay, recovery, tests).
 * At `ratePerSecond` events a second there are `ratePerSecond * HEARTBEAT_SECONDS` player slots; index i
 * is slot `i % slots`, heartbeat round `floor(i / slots)`, and happens at stream second `i / ratePerSecond`.
 * Each slot plays one session after another; one CDN degrades for a while every minute.
 */

export const HEARTBEAT_SECONDS = 5;
/** Each slot's timeline is cut into epochs of this many rounds, so finding a round's session is a short walk. */
const EPOCH_ROUNDS = 48;
export const DEFAULT_RATE = 500;

export const CDNS = ['akamai', 'cloudfront', 'fastly', 'edgio'] as const;
export const CITIES = ['London', 'Paris', 'Berlin', 'Madrid', 'New York', 'Chicago'] as const;
const BITRATES_KBPS = [800, 1600, 3000, 4500, 6000] as const;
const ERROR_CODES = ['MEDIA_ERR_NETWORK', 'MEDIA_ERR_DECODE', 'HTTP_503', 'DRM_LICENSE_TIMEOUT'] as const;

/** The CDN that degrades, and when: stream seconds [start, end) of every period. */
export const DEGRADATION = { cdn: 'fastly', periodSeconds: 60, startSecond: 15, endSecond: 30 } as const;

export interface Heartbeat {
  session: string;
  cdn: string;
  city: string;
  bitrateKbps: number;
  /** Time spent buffering during the last interval. */
  bufferingMs: number;
  /** Length of the interval this heartbeat reports on (time the viewer spent watching or waiting). */
  intervalMs: number;
  /** Click-to-first-frame time, on the session's first heartbeat only. */
  joinTimeMs: number | null;
  errorCode: string | null;
  /** The player closed the session normally; an abandoned session just stops sending. */
  ended: boolean;
  /** Heartbeat number within the session, from 0. */
  seq: number;
}

/** A 32-bit mix of two numbers (murmur3 finalizer style): the only source of randomness here. */
function mix(a: number, b: number): number {
  let x = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A deterministic number in [0, 1) for (seed, draw). */
function unit(seed: number, draw: number): number {
  return mix(seed, draw) / 0x100000000;
}

function pick<T>(values: readonly T[], u: number): T {
  return values[Math.min(values.length - 1, Math.floor(u * values.length))];
}

/** True while the degrading CDN is degraded at stream second `second`. */
export function isDegraded(cdn: string, second: number): boolean {
  if (cdn !== DEGRADATION.cdn) return false;
  const inPeriod = second % DEGRADATION.periodSeconds;
  return inPeriod >= DEGRADATION.startSecond && inPeriod < DEGRADATION.endSecond;
}

interface SessionPlan {
  id: string;
  seed: number;
  /** Rounds of this session within its epoch: [start, start + length). */
  start: number;
  length: number;
  abandoned: boolean;
}

/** The session that slot `slot` plays at position `position` of epoch `epoch`. */
function sessionAt(slot: number, epoch: number, position: number): SessionPlan {
  const epochSeed = mix(slot, epoch);
  let start = 0;
  for (let k = 0; ; k++) {
    const seed = mix(epochSeed, k);
    // 3 to 38 heartbeats: 15 s trailers to three-minute clips; the epoch's end closes the last one.
    const length = Math.min(3 + Math.floor(unit(seed, 1) * 36), EPOCH_ROUNDS - start);
    if (position < start + length) {
      return {
        id: `ses-${slot.toString(36)}-${epoch.toString(36)}-${k}`,
        seed,
        start,
        length,
        abandoned: unit(seed, 2) < 0.15,
      };
    }
    start += length;
  }
}

/** The heartbeat generator for a given rate (the rate fixes how many sessions play at once). */
export function heartbeatGenerator(ratePerSecond: number): (index: number) => Heartbeat {
  const slots = Math.max(1, Math.round(ratePerSecond * HEARTBEAT_SECONDS));
  return (index) => {
    const slot = index % slots;
    const round = Math.floor(index / slots);
    // Slots start their epochs at different rounds, so sessions do not all begin together.
    const shifted = round + (mix(slot, 7) % EPOCH_ROUNDS);
    const epoch = Math.floor(shifted / EPOCH_ROUNDS);
    const plan = sessionAt(slot, epoch, shifted % EPOCH_ROUNDS);
    const seq = (shifted % EPOCH_ROUNDS) - plan.start;
    const last = seq === plan.length - 1;
    const cdn = pick(CDNS, unit(plan.seed, 3));
    const city = pick(CITIES, unit(plan.seed, 4));
    const degraded = isDegraded(cdn, Math.floor(index / ratePerSecond));
    const beat = mix(plan.seed, 100 + seq);
    const intervalMs = HEARTBEAT_SECONDS * 1000;
    // Healthy players rebuffer now and then; on a degraded CDN they stall for a large part of every interval.
    const bufferingMs = degraded
      ? 1000 + Math.floor(unit(beat, 1) * 2500)
      : unit(beat, 1) < 0.08
        ? 200 + Math.floor(unit(beat, 2) * 800)
        : 0;
    const ladder = Math.floor(unit(plan.seed, 5) * BITRATES_KBPS.length);
    const step = Math.max(0, ladder - (degraded ? 2 : unit(beat, 3) < 0.2 ? 1 : 0));
    const errorChance = degraded ? 0.05 : 0.004;
    return {
      session: plan.id,
      cdn,
      city,
      bitrateKbps: BITRATES_KBPS[step],
      bufferingMs,
      intervalMs,
      joinTimeMs: seq === 0 ? (degraded ? 3000 : 700) + Math.floor(unit(beat, 4) * 1800) : null,
      errorCode: unit(beat, 5) < errorChance ? pick(ERROR_CODES, unit(beat, 6)) : null,
      ended: last && !plan.abandoned,
      seq,
    };
  };
}

/** The rate the example runs at: `--rate` (through SLUICE_EXAMPLE_RATE) or the default. */
export function exampleRate(): number {
  const configured = Number(process.env.SLUICE_EXAMPLE_RATE);
  return configured > 0 ? configured : DEFAULT_RATE;
}

let generatorForRate: { rate: number; generate: (index: number) => Heartbeat } | undefined;

/** The Kinesis producer's generator (examples/run-example.ts loads it by name): one JSON heartbeat per index. */
export function heartbeat(index: number): string {
  const rate = exampleRate();
  if (generatorForRate?.rate !== rate) generatorForRate = { rate, generate: heartbeatGenerator(rate) };
  return JSON.stringify(generatorForRate.generate(index));
}
