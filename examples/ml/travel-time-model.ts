/**
 * Per-segment travel-time model, fitted by online EM (the Spark Streaming paper's traffic estimation):
 * a segment's log travel time is a mixture of two normals, free flow and congested, and which regime a
 * traversal was in is hidden. Each interval, the E-step weighs the new observations with the current
 * model; the M-step re-estimates from sufficient statistics in which older data is discounted by `decay`
 * (as Spark MLlib's StreamingKMeans discounts old points), so the model follows the rush hour.
 */
import type { RoadSegment } from './road-network';

/** Decayed sufficient statistics of one regime: sum of responsibilities, of r·x and of r·x². */
export interface RegimeStats {
  weight: number;
  sum: number;
  sumSquares: number;
}

export interface SegmentModel {
  free: RegimeStats;
  congested: RegimeStats;
  /** Observations that have updated the model, undiscounted. */
  observations: number;
  /** The latest interval's observations, scored by the model before it learnt from them. */
  lastBatch: BatchScore;
}

export interface BatchScore {
  count: number;
  logLikelihood: number;
  /** Sum of the observations' report numbers (their mean places the interval in the feed). */
  reportSum: number;
}

export interface Regime {
  mean: number;
  sd: number;
}

export interface MixtureParams {
  pCongested: number;
  free: Regime;
  congested: Regime;
}

/** A traversal as the model sees it: [log seconds, report number]. */
export type LogObservation = [number, number];

/** Keeps a regime that explains almost nothing from collapsing onto one point. */
const MIN_VARIANCE = 1e-4;
/** Weight, in observations, of the map-based first guess. */
const PRIOR_OBSERVATIONS = 5;
/** First guess of the jam speed as a share of the limit. */
const PRIOR_JAM_SHARE = 0.25;
const PRIOR_SD = 0.25;

export const NO_BATCH: BatchScore = { count: 0, logLikelihood: 0, reportSum: 0 };

/**
 * The fixed starting model of a segment, from the map alone: free flow at the speed limit, jams at a
 * quarter of it, each as likely, each worth a few observations.
 */
export function priorModel(segment: RoadSegment): SegmentModel {
  return modelFrom(priorParams(segment), PRIOR_OBSERVATIONS * 2);
}

export function priorParams(segment: RoadSegment): MixtureParams {
  const freeLog = Math.log(segment.lengthM / (segment.limitKmh / 3.6));
  return {
    pCongested: 0.5,
    free: { mean: freeLog, sd: PRIOR_SD },
    congested: { mean: freeLog - Math.log(PRIOR_JAM_SHARE), sd: PRIOR_SD },
  };
}

function modelFrom(params: MixtureParams, observations: number): SegmentModel {
  const stats = (regime: Regime, share: number): RegimeStats => {
    const weight = observations * share;
    return { weight, sum: weight * regime.mean, sumSquares: weight * (regime.sd ** 2 + regime.mean ** 2) };
  };
  return {
    free: stats(params.free, 1 - params.pCongested),
    congested: stats(params.congested, params.pCongested),
    observations: 0,
    lastBatch: NO_BATCH,
  };
}

/** The M-step: parameters from sufficient statistics. */
export function paramsOf(model: Pick<SegmentModel, 'free' | 'congested'>): MixtureParams {
  const regime = (s: RegimeStats): Regime => {
    const mean = s.sum / s.weight;
    return { mean, sd: Math.sqrt(Math.max(s.sumSquares / s.weight - mean ** 2, MIN_VARIANCE)) };
  };
  return {
    pCongested: model.congested.weight / (model.free.weight + model.congested.weight),
    free: regime(model.free),
    congested: regime(model.congested),
  };
}

function logNormalDensity(x: number, regime: Regime): number {
  const z = (x - regime.mean) / regime.sd;
  return -0.5 * z * z - Math.log(regime.sd) - 0.5 * Math.log(2 * Math.PI);
}

/** The E-step over some observations: each regime's expected statistics, and their log-likelihood. */
export function expectedStats(
  params: MixtureParams,
  observations: readonly LogObservation[],
): { free: RegimeStats; congested: RegimeStats; score: BatchScore } {
  const free = { weight: 0, sum: 0, sumSquares: 0 };
  const congested = { weight: 0, sum: 0, sumSquares: 0 };
  const score = { count: observations.length, logLikelihood: 0, reportSum: 0 };
  const logFree = Math.log(1 - params.pCongested);
  const logJam = Math.log(params.pCongested);
  for (const [x, report] of observations) {
    const a = logFree + logNormalDensity(x, params.free);
    const b = logJam + logNormalDensity(x, params.congested);
    const top = Math.max(a, b);
    const logTotal = top + Math.log(Math.exp(a - top) + Math.exp(b - top));
    const jam = Math.exp(b - logTotal);
    add(free, 1 - jam, x);
    add(congested, jam, x);
    score.logLikelihood += logTotal;
    score.reportSum += report;
  }
  return { free, congested, score };
}

function add(stats: RegimeStats, responsibility: number, x: number): void {
  stats.weight += responsibility;
  stats.sum += responsibility * x;
  stats.sumSquares += responsibility * x * x;
}

/** One interval's online EM step: discount the old statistics, add the new ones. */
export function updateModel(
  model: SegmentModel,
  batch: readonly LogObservation[],
  decay: number,
): SegmentModel {
  const expected = expectedStats(paramsOf(model), batch);
  const blend = (old: RegimeStats, fresh: RegimeStats): RegimeStats => ({
    weight: decay * old.weight + fresh.weight,
    sum: decay * old.sum + fresh.sum,
    sumSquares: decay * old.sumSquares + fresh.sumSquares,
  });
  return {
    free: blend(model.free, expected.free),
    congested: blend(model.congested, expected.congested),
    observations: model.observations + batch.length,
    lastBatch: expected.score,
  };
}

/**
 * Batch EM over all of a segment's observations from `start`, until no parameter moves by more than
 * `tolerance` (the batch fit the streamed model is compared with).
 */
export function fitMixture(
  observations: readonly LogObservation[],
  start: MixtureParams,
  { tolerance = 1e-10, maxIterations = 2000 } = {},
): MixtureParams {
  let params = start;
  for (let i = 0; i < maxIterations; i++) {
    const next = paramsOf(expectedStats(params, observations));
    const moved = Math.max(
      Math.abs(next.pCongested - params.pCongested),
      Math.abs(next.free.mean - params.free.mean),
      Math.abs(next.congested.mean - params.congested.mean),
      Math.abs(next.free.sd - params.free.sd),
      Math.abs(next.congested.sd - params.congested.sd),
    );
    params = next;
    if (moved < tolerance) break;
  }
  return params;
}

/** Mean travel time in seconds under the model (each regime log-normal). */
export function expectedSecondsOf(params: MixtureParams): number {
  return (
    (1 - params.pCongested) * Math.exp(params.free.mean + params.free.sd ** 2 / 2) +
    params.pCongested * Math.exp(params.congested.mean + params.congested.sd ** 2 / 2)
  );
}
