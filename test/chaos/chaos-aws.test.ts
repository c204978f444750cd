import { missingKinds } from '../../bench/chaos/kinds';
import { runAwsChaosSeed } from '../../bench/chaos-aws';

describe('chaos on the local AWS path (short run of npm run chaos -- --path aws)', () => {
  it('with every fault kind, Kinesis throttling and empty pages, and S3/Kinesis restarts, every batch matches', async () => {
    const report = await runAwsChaosSeed(3, 12);
    expect(missingKinds(report, 'aws')).toEqual([]);
    expect(report.deadLetters.distinct).toBe(report.deadLetters.injected);
    expect(report).toMatchObject({ mismatches: 0, lost: 0, duplicated: 0 });
  }, 180_000);
});
