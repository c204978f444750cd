/** The coordinator's memory: priced as deployed, and what Lambda gives it in CPU. */
import {
  COORDINATOR_MEMORY_MB,
  FootprintSampler,
  lambdaVcpus,
  monthlyBill,
  PRICES,
  SECONDS_PER_MONTH,
} from '../../src/engine/cost';
import { noRequests } from '../../src/engine/io/metering';

const coordinatorDuration = (memoryMb: number) =>
  monthlyBill({
    perBatch: noRequests(),
    batchMs: 1000,
    recordsPerSecond: 1000,
    shards: 2,
    coordinatorMemoryMb: memoryMb,
    coordinatorInvocationS: 900,
  }).options[0].lines.find((l) => l.item === 'Lambda coordinator duration')!;

describe('coordinator memory', () => {
  it('prices the coordinator all month at the memory it is deployed with', () => {
    const line = coordinatorDuration(COORDINATOR_MEMORY_MB);
    expect(line.quantity).toBeCloseTo((COORDINATOR_MEMORY_MB / 1024) * SECONDS_PER_MONTH, 6);
    expect(line.usd).toBeCloseTo(line.quantity * PRICES.lambda.perGbSecondArm, 6);
    // Half the memory, half the fixed cost.
    expect(coordinatorDuration(512).usd * 2).toBeCloseTo(coordinatorDuration(1024).usd, 6);
  });

  it('gives a function CPU in proportion to its memory, one vCPU at 1,769 MB', () => {
    expect(lambdaVcpus(1769)).toBe(1);
    expect(lambdaVcpus(512)).toBeCloseTo(0.289, 3);
    expect(lambdaVcpus(3538)).toBe(2);
  });

  it('keeps the peak of what the process used, never less than a sample taken', () => {
    const sampler = new FootprintSampler(1000);
    const held = Buffer.alloc(8 * 1024 * 1024, 1);
    sampler.sample();
    const footprint = sampler.stop();
    expect(held.length).toBeGreaterThan(0);
    expect(footprint.samples).toBeGreaterThanOrEqual(3);
    expect(footprint.peakRssMb).toBeGreaterThan(footprint.peakHeapUsedMb);
    expect(footprint.peakExternalMb).toBeGreaterThanOrEqual(8);
  });
});
