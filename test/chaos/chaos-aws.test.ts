import { missingKinds } from '../../bench/chaos/kinds';
import { runAwsChaosSeed } from '../../bench/chaos-aws';

describe('chaos on the local AWS path (short run of npm run chaos -- --path aws)', () => {
  it('with every fault kind, Kinesis throttling and empty pages, and S3/Kinesis restarts, every batch matches', async () => {
    const report = await runAwsChaosSeed(3, 12);
    // With data in task payloads and map tasks reading Kinesis, nothing transient is in S3 to lose: the
    // loss that remains is a lost coordinator, covered by crashes.
    const nothingToLose = ['lostObjects', 'expiredTransient'];
    expect(missingKinds(report).filter((kind) => !nothingToLose.includes(kind))).toEqual([]);
    expect(report.deadLetters.distinct).toBe(report.deadLetters.injected);
    expect(report).toMatchObject({ mismatches: 0, lost: 0, duplicated: 0 });
  }, 180_000);
});
