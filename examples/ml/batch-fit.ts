/**
 * The batch fit the streamed model is measured against: batch EM per road segment over a fixed set of
 * GPS records, as a batch job on the same engine (`npm run batch -- examples/ml/batch-fit.ts`).
 */
import { type BatchContext, defineBatchJob, type Pair, type RDD } from 'sluice';
import { steadyGpsRecord } from './gps-generator';
import { segmentById } from './road-network';
import { parseTraversal } from './traffic-pipeline';
import { fitMixture, type LogObservation, type MixtureParams, priorParams } from './travel-time-model';

/** Each segment's records fitted to convergence from the same map-based start the online model uses. */
function fitBySegment(
  ctx: BatchContext,
  records: readonly string[],
  partitions: number,
): RDD<Pair<string, MixtureParams>> {
  return ctx
    .parallelize(records, partitions)
    .rdd()
    .map(parseTraversal)
    .map((t): Pair<string, LogObservation> => [t.segment, [Math.log(t.travelTimeS), t.report]])
    .groupByKey()
    .map(
      ([segment, observations]): Pair<string, MixtureParams> => [
        segment,
        fitMixture(observations, priorParams(segmentById(segment)!)),
      ],
    );
}

export function batchFitJob(records: readonly string[], partitions = 4) {
  return defineBatchJob<Pair<string, MixtureParams>>({
    name: 'traffic-batch-fit',
    partitions,
    build: (ctx) => fitBySegment(ctx, records, partitions),
  });
}

/** What `npm run batch` prints per segment: congestion share and each regime's typical travel time. */
interface FitSummary {
  congested: number;
  freeFlowS: number;
  jamS: number;
}

/** 40 s of the steady feed at 1,000 records/s, the records the convergence test streams. */
export default defineBatchJob<Pair<string, FitSummary>>({
  name: 'traffic-batch-fit',
  partitions: 4,
  build: (ctx) =>
    fitBySegment(
      ctx,
      Array.from({ length: 40_000 }, (_, i) => steadyGpsRecord(i)),
      4,
    ).mapValues((fit) => ({
      congested: round(fit.pCongested, 3),
      freeFlowS: round(Math.exp(fit.free.mean), 1),
      jamS: round(Math.exp(fit.congested.mean), 1),
    })),
});

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
