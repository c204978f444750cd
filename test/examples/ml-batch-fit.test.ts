/**
 * The streamed model converges to the batch fit of the same records computed by the batch API
 * (examples/ml/batch-fit.ts run with runBatchJob).
 */

import { runBatchJob } from 'sluice';
import { runBatches } from 'sluice/testing';
import { batchFitJob } from '../../examples/ml/batch-fit';
import { steadyGpsRecord } from '../../examples/ml/gps-generator';
import { SEGMENTS } from '../../examples/ml/road-network';
import { buildApp } from '../../examples/ml/traffic-pipeline';
import { paramsOf } from '../../examples/ml/travel-time-model';

const INTERVALS = 40;
const PER_INTERVAL = 1000;

describe('online travel-time model against the batch job fit (examples/ml)', () => {
  it('ends within 0.005 of the batch fit in free-flow mean and congestion share, 0.04 log-seconds in jam mean, after 40 intervals without forgetting', async () => {
    const inputs = Array.from({ length: INTERVALS }, (_, b) =>
      Array.from({ length: PER_INTERVAL }, (_, i) => steadyGpsRecord(b * PER_INTERVAL + i)),
    );
    const streamed = await runBatches(
      inputs,
      (lines) => buildApp(lines.context, lines, { decay: 1, report: false }).models,
      { partitions: 2 },
    );
    const online = new Map(streamed[INTERVALS - 1].map(([segment, model]) => [segment, paramsOf(model)]));
    const batch = new Map(await runBatchJob(batchFitJob(inputs.flat(), 3), { workers: 2 }));
    expect([...batch.keys()].sort()).toEqual(SEGMENTS.map((s) => s.id).sort());
    for (const [segment, fit] of batch) {
      const model = online.get(segment)!;
      expect(Math.abs(model.free.mean - fit.free.mean)).toBeLessThan(0.005);
      expect(Math.abs(model.pCongested - fit.pCongested)).toBeLessThan(0.005);
      expect(Math.abs(model.congested.mean - fit.congested.mean)).toBeLessThan(0.04);
    }
  });
});
