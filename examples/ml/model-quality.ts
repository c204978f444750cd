/**
 * How good the streamed model is at an interval: how well it predicted the interval's observations
 * (log-likelihood per observation, scored before it learnt from them) and how far its mean travel times
 * and congestion shares are from the generator's hidden truth at that moment.
 */
import type { Pair } from 'sluice';
import { expectedSeconds, segmentById, segmentTruth } from './road-network';
import { expectedSecondsOf, paramsOf, type SegmentModel } from './travel-time-model';

export interface SegmentQuality {
  segment: string;
  /** |model mean travel time - true mean| / true mean. */
  travelTimeError: number;
  pCongested: number;
  truePCongested: number;
  expectedSeconds: number;
}

export interface ModelQuality {
  observations: number;
  logLikelihoodPerObservation: number;
  segments: SegmentQuality[];
}

/** Quality of the segments that had observations this interval, each against the truth of its own moment. */
export function measureQuality(models: readonly Pair<string, SegmentModel>[]): ModelQuality {
  let observations = 0;
  let logLikelihood = 0;
  const segments: SegmentQuality[] = [];
  for (const [id, model] of models) {
    const { count, reportSum } = model.lastBatch;
    const segment = segmentById(id);
    if (count === 0 || !segment) continue;
    observations += count;
    logLikelihood += model.lastBatch.logLikelihood;
    const truth = segmentTruth(segment, reportSum / count);
    const params = paramsOf(model);
    const estimate = expectedSecondsOf(params);
    const actual = expectedSeconds(truth);
    segments.push({
      segment: id,
      travelTimeError: Math.abs(estimate - actual) / actual,
      pCongested: params.pCongested,
      truePCongested: truth.pCongested,
      expectedSeconds: estimate,
    });
  }
  segments.sort((a, b) => (a.segment < b.segment ? -1 : 1));
  return {
    observations,
    logLikelihoodPerObservation: observations === 0 ? 0 : logLikelihood / observations,
    segments,
  };
}

/** Two lines per interval: overall quality, then the three most congested segments. */
export function qualityLines(models: readonly Pair<string, SegmentModel>[], elapsedS: number): string[] {
  const quality = measureQuality(models);
  const at = `t+${elapsedS.toFixed(0)}s`;
  if (quality.observations === 0) return [`${at} no GPS observations this interval; model unchanged`];
  const errors = quality.segments.map((s) => s.travelTimeError);
  const worst = quality.segments.reduce((a, b) => (b.travelTimeError > a.travelTimeError ? b : a));
  const shareError =
    quality.segments.reduce((sum, s) => sum + Math.abs(s.pCongested - s.truePCongested), 0) /
    quality.segments.length;
  const jams = [...quality.segments]
    .sort((a, b) => b.pCongested - a.pCongested || (a.segment < b.segment ? -1 : 1))
    .slice(0, 3)
    .map(
      (s) =>
        `${s.segment} ${pct(s.pCongested)} (true ${pct(s.truePCongested)}, mean ${s.expectedSeconds.toFixed(0)}s)`,
    );
  return [
    `${at} ${quality.observations} obs | log-lik/obs ${quality.logLikelihoodPerObservation.toFixed(3)} | travel time vs truth: mean error ${pct(mean(errors), 1)}, worst ${worst.segment} ${pct(worst.travelTimeError, 1)} | congestion share error ${shareError.toFixed(3)}`,
    `${at} most congested: ${jams.join(', ')}`,
  ];
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function pct(share: number, digits = 0): string {
  return `${(share * 100).toFixed(digits)}%`;
}
