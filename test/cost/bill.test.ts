/** The cost model's arithmetic: a month of measured batches at list prices. */
import { monthlyBill, PRICES, SECONDS_PER_MONTH } from '../../src/engine/cost';
import { noRequests } from '../../src/engine/io/metering';

const workload = {
  batchMs: 1000,
  recordsPerSecond: 1000,
  shards: 2,
  coordinatorMemoryMb: 1024,
  coordinatorInvocationS: 900,
};

function lineOf(bill: ReturnType<typeof monthlyBill>, option: number, item: string) {
  return bill.options[option].lines.find((l) => l.item === item)!;
}

describe('monthly bill', () => {
  it('prices each S3 request kind per batch over a month of batches, deletes free', () => {
    const perBatch = { ...noRequests(), s3Put: 2, s3Get: 10, s3Head: 1, s3List: 1, s3Delete: 3 };
    const bill = monthlyBill({ ...workload, perBatch });
    expect(bill.batchesPerMonth).toBe(2_628_000);
    expect(lineOf(bill, 0, 'S3 PUT').usd).toBeCloseTo(2 * 2_628_000 * 0.000005, 6);
    expect(lineOf(bill, 0, 'S3 GET').usd).toBeCloseTo(10 * 2_628_000 * 0.0000004, 6);
    expect(lineOf(bill, 0, 'S3 HEAD').usd).toBeCloseTo(2_628_000 * 0.0000004, 6);
    expect(lineOf(bill, 0, 'S3 LIST').usd).toBeCloseTo(2_628_000 * 0.000005, 6);
    expect(lineOf(bill, 0, 'S3 DELETE').usd).toBe(0);
  });

  it('bills task GB-s from the measured MB·ms and the coordinator for the whole month', () => {
    // Four 25 ms invocations of a 1,024 MB function per batch: 0.1 GB-s.
    const perBatch = { ...noRequests(), lambdaInvokes: 4, lambdaBilledMs: 100, lambdaMbMs: 100 * 1024 };
    const bill = monthlyBill({ ...workload, perBatch });
    expect(lineOf(bill, 0, 'Lambda task duration').quantity).toBeCloseTo(0.1 * 2_628_000, 6);
    expect(lineOf(bill, 0, 'Lambda task requests').usd).toBeCloseTo(4 * 2.628 * 0.2, 6);
    // 1 GB all month.
    expect(lineOf(bill, 0, 'Lambda coordinator duration').usd).toBeCloseTo(
      SECONDS_PER_MONTH * PRICES.lambda.perGbSecondArm,
      6,
    );
  });

  it('prices the smallest Managed Flink application as two KPUs and 50 GB of running storage', () => {
    const bill = monthlyBill({ ...workload, perBatch: noRequests() });
    const flink = bill.options.find((o) => o.name.startsWith('Managed Service for Apache Flink'))!;
    expect(flink.usdPerMonth).toBeCloseTo(2 * 0.11 * 730 + 50 * 0.1, 6);
    // 1,000 records/s for a month is 2,628 million records.
    expect(flink.usdPerMillionRecords).toBeCloseTo(flink.usdPerMonth / 2628, 9);
  });

  it('keeps Kinesis apart: shard-hours and one payload unit per record', () => {
    const bill = monthlyBill({ ...workload, perBatch: noRequests() });
    expect(bill.kinesis.usdPerMonth).toBeCloseTo(2 * 730 * 0.015 + 2628 * 0.014, 6);
    expect(bill.options.every((o) => !o.name.startsWith('Kinesis'))).toBe(true);
  });
});
