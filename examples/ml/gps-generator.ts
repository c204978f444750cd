/**
 * Synthetic GPS probe data: each record is one vehicle's traversal of one road segment, the travel time
 * measured between its GPS fixes at the segment's ends. Whether the traversal was congested is hidden;
 * the model has to infer it. A pure function of the record index (see seeded-random.ts).
 */

import { normal, uniform, weightedPick } from '../shared/seeded-random';
import { CONGESTED_SPREAD, FREE_SPREAD, SEGMENTS, segmentTruth } from './road-network';

export interface Traversal {
  /** The feed's report number, increasing: lets the example compare the model with the truth of the moment. */
  report: number;
  vehicle: string;
  segment: string;
  /** Seconds from entering to leaving the segment, to a tenth of a second as phones report. */
  travelTimeS: number;
}

export interface GpsOptions {
  /** Congestion rises and falls with a rush-hour cycle (default); false keeps it at its base level. */
  rushHour?: boolean;
}

const VEHICLES = 800;
const TRAFFIC = SEGMENTS.map((s) => s.traffic);

export function traversalAt(index: number, options: GpsOptions = {}): Traversal {
  const segment = SEGMENTS[weightedPick(TRAFFIC, uniform(index, 0))];
  const truth = segmentTruth(segment, index, options.rushHour ?? true);
  const congested = uniform(index, 1) < truth.pCongested;
  const logSeconds = congested
    ? truth.congestedLogSeconds + CONGESTED_SPREAD * normal(index, 2)
    : truth.freeLogSeconds + FREE_SPREAD * normal(index, 2);
  return {
    report: index,
    vehicle: `v${Math.floor(uniform(index, 4) * VEHICLES)}`,
    segment: segment.id,
    travelTimeS: Math.max(0.1, Math.round(Math.exp(logSeconds) * 10) / 10),
  };
}

/** The record as it travels (Kinesis carries bytes): JSON text. The producer and the job both use this. */
export function gpsRecord(index: number): string {
  return JSON.stringify(traversalAt(index));
}

/** Records without the rush hour, for fitting a model that does not move. */
export function steadyGpsRecord(index: number): string {
  return JSON.stringify(traversalAt(index, { rushHour: false }));
}
