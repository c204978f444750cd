import { runAwsChaosSeed } from '../../bench/chaos-aws';

describe('chaos on the local AWS path (short run of npm run chaos -- --path aws)', () => {
  it('with task failures, stragglers, lost data, coordinator crashes and S3/Kinesis restarts, every batch matches', async () => {
    const report = await runAwsChaosSeed(3, 10);
    expect(report.faults.crashes).toBeGreaterThan(0);
    expect(report.faults.restarts).toBeGreaterThan(0);
    expect(report.faults.lostObjects).toBeGreaterThan(0);
    expect(report).toMatchObject({ mismatches: 0, lost: 0, duplicated: 0 });
  }, 120_000);
});
