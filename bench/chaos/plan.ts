/**
 * What a seed injects and when: every kind has a batch where it happens for certain (so each seed sees
 * each kind), and most also happen at random. Everything comes from the seed's generator.
 */

import type { CrashPoint } from '../../src/engine/schedule';
import { Bursts } from '../faults';
import type { Kinds } from './kinds';

export const CRASH_POINTS: CrashPoint[] = ['after-manifest', 'mid-fanout', 'before-commit', 'after-commit'];

/**
 * Which write of the paused coordinator is held: an input block, the write that commits the sink's batch
 * (its batch object, or the marker after per-partition parts), the commit.
 */
export type PauseAt = 'input' | 'marker' | 'commit';

export interface SeedPlan {
  crash: { batch: number; point: CrashPoint };
  /** The coordinator dies (killed at its deadline) once the first task of this batch's output ran. */
  kill: number;
  /** The coordinator pauses past its lease at this batch, at this write; another one takes over. */
  stale: { batch: number; at: PauseAt };
  /** S3 SlowDown and Lambda throttling bursts start right after this batch commits. */
  slowDown: number;
  throttle: number;
  /** A poison record is in this batch. */
  poison: number;
  /** After every `every`th batch commits, transient data older than `keep` batches expires. */
  expiry: { every: number; keep: number };
}

export function planFor(batches: number, random: () => number): SeedPlan {
  // Far enough from both ends that a take-over can commit batches after it.
  const pick = () => Math.min(batches, 2 + Math.floor(random() * Math.max(1, batches - 5)));
  return {
    crash: { batch: pick(), point: CRASH_POINTS[Math.floor(random() * CRASH_POINTS.length)] },
    kill: pick(),
    stale: { batch: pick(), at: (['input', 'marker', 'commit'] as const)[Math.floor(random() * 3)] },
    slowDown: pick(),
    throttle: pick(),
    poison: pick(),
    expiry: { every: 3 + Math.floor(random() * 3), keep: 2 + Math.floor(random() * 3) },
  };
}

/** A seed's shared fault state: the generator, the counts, bursts that outlive one coordinator. */
export interface SeedFaults {
  random: () => number;
  plan: SeedPlan;
  counts: Kinds;
  slowDowns: Bursts;
  throttles: Bursts;
  /** Starts a burst of that kind once per seed (the first commit at or after its planned batch). */
  forceOnce(kind: 'slowDowns' | 'throttles'): void;
}

export function seedFaults(random: () => number, plan: SeedPlan, counts: Kinds): SeedFaults {
  const forced = new Set<string>();
  return {
    forceOnce(kind) {
      if (forced.has(kind)) return;
      forced.add(kind);
      this[kind].force();
    },
    random,
    plan,
    counts,
    // Longer than the task retries (10 attempts) now and then, so whole batches fail and retry in place.
    slowDowns: new Bursts(
      () => random() < 0.002,
      () => 2 + Math.floor(random() * 8),
    ),
    throttles: new Bursts(
      () => random() < 0.004,
      () => 2 + Math.floor(random() * 14),
    ),
  };
}

/** The lifecycle rule of a plan: the batch time transient data must be newer than, after `committed`. */
export function expiryRule(plan: SeedPlan, batchMs = 1000): (committed: number) => number | undefined {
  return (committed) =>
    (committed / batchMs) % plan.expiry.every === 0 ? committed - plan.expiry.keep * batchMs : undefined;
}

/** Batch time in a store key (manifests/, batches/, sinks/<name>/), if it has one. */
export function timeOfKey(key: string): number | undefined {
  const match = /^(?:manifests\/|batches\/|sinks\/[^/]+\/)(\d{15})/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/** Whether a write is the one a paused coordinator holds (or any write of a later batch, as a fallback). */
export function isPauseWrite(at: PauseAt, batchTime: number, key: string, body?: Uint8Array): boolean {
  const time = timeOfKey(key);
  if (time === undefined || time < batchTime) return false;
  if (time >= batchTime + 3000) return true;
  if (at === 'input') return /^batches\/\d+\/input\//.test(key);
  if (at === 'marker') return /^sinks\/.*\/(_COMMITTED|batch\.jsonl)$/.test(key);
  return (
    key.startsWith('manifests/') &&
    body !== undefined &&
    new TextDecoder().decode(body).includes('"status":"committed"')
  );
}

/** StaleCoordinatorError somewhere in an error's cause chain (also across a thread boundary). */
export function isStale(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const name = (e as { remoteName?: string }).remoteName ?? e.name;
    if (name === 'StaleCoordinatorError') return true;
  }
  return false;
}
