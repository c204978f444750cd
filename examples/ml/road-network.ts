/**
 * A small city road network and the hidden traffic it carries. The map (length, speed limit) is what the
 * model may know; the speeds and congestion probabilities are the truth the generator draws from and the
 * example measures the model against.
 */

export interface RoadSegment {
  id: string;
  lengthM: number;
  limitKmh: number;
  /** Share of all GPS observations that fall on this segment (busy arterials report more). */
  traffic: number;
  /** Free-flow speed as a share of the limit. */
  freeFlow: number;
  /** Congested speed as a share of the limit. */
  congested: number;
  /** Probability that a traversal is congested outside the rush hour, and its rise at the peak. */
  baseCongestion: number;
  rushCongestion: number;
}

export const SEGMENTS: readonly RoadSegment[] = [
  seg('ring-n1', 850, 70, 9, 0.92, 0.3, 0.1, 0.5),
  seg('ring-n2', 1200, 70, 8, 0.95, 0.28, 0.08, 0.45),
  seg('ring-e1', 950, 70, 7, 0.9, 0.32, 0.12, 0.4),
  seg('ring-s1', 1100, 70, 7, 0.93, 0.25, 0.1, 0.55),
  seg('main-st', 420, 50, 10, 0.8, 0.22, 0.2, 0.45),
  seg('market-st', 380, 50, 8, 0.78, 0.2, 0.25, 0.4),
  seg('harbour-rd', 1600, 60, 5, 0.97, 0.35, 0.05, 0.3),
  seg('station-ave', 520, 50, 6, 0.82, 0.24, 0.15, 0.5),
  seg('bridge', 700, 60, 9, 0.9, 0.18, 0.15, 0.6),
  seg('tunnel', 1400, 80, 6, 0.96, 0.3, 0.08, 0.35),
  seg('park-ln', 300, 30, 3, 0.85, 0.4, 0.05, 0.15),
  seg('airport-hwy', 3200, 100, 4, 0.98, 0.33, 0.04, 0.3),
];

function seg(
  id: string,
  lengthM: number,
  limitKmh: number,
  traffic: number,
  freeFlow: number,
  congested: number,
  baseCongestion: number,
  rushCongestion: number,
): RoadSegment {
  return { id, lengthM, limitKmh, traffic, freeFlow, congested, baseCongestion, rushCongestion };
}

/** Observations in one rush-hour cycle: 2 minutes at the default 1,000 observations per second. */
export const RUSH_CYCLE_OBSERVATIONS = 120_000;

/** 0 off-peak, 1 at the peak, rising and falling smoothly within each cycle. */
export function rushLevel(index: number): number {
  const phase = (index % RUSH_CYCLE_OBSERVATIONS) / RUSH_CYCLE_OBSERVATIONS;
  return 0.5 - 0.5 * Math.cos(2 * Math.PI * phase);
}

/** Speed spread around the typical speed, in log units: steady in free flow, erratic in jams. */
export const FREE_SPREAD = 0.08;
export const CONGESTED_SPREAD = 0.2;

/** The hidden truth for one segment around observation `index`, in the model's terms (log seconds). */
export interface SegmentTruth {
  pCongested: number;
  freeLogSeconds: number;
  congestedLogSeconds: number;
}

/** Mean travel time in seconds: each regime's log-normal mean, weighted by how often it occurs. */
export function expectedSeconds(truth: SegmentTruth): number {
  return (
    (1 - truth.pCongested) * Math.exp(truth.freeLogSeconds + FREE_SPREAD ** 2 / 2) +
    truth.pCongested * Math.exp(truth.congestedLogSeconds + CONGESTED_SPREAD ** 2 / 2)
  );
}

export function segmentTruth(segment: RoadSegment, index: number, rushHour = true): SegmentTruth {
  const limitMs = segment.limitKmh / 3.6;
  return {
    pCongested: segment.baseCongestion + (rushHour ? segment.rushCongestion * rushLevel(index) : 0),
    freeLogSeconds: Math.log(segment.lengthM / (limitMs * segment.freeFlow)),
    congestedLogSeconds: Math.log(segment.lengthM / (limitMs * segment.congested)),
  };
}

export function segmentById(id: string): RoadSegment | undefined {
  return SEGMENTS.find((s) => s.id === id);
}
