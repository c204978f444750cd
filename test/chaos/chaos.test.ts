import { runChaosSeed } from '../../bench/chaos';
import { missingKinds } from '../../bench/chaos/kinds';

describe('chaos (short run of npm run chaos)', () => {
  it.each([1, 2])(
    'seed %i: with every fault kind injected (task failures, stragglers, lost and expired data, crashes, a kill mid sink output, a stale coordinator, S3 SlowDown, Lambda throttling, late and duplicate tasks, poison records), every batch matches the fault-free run',
    async (seed) => {
      const report = await runChaosSeed(seed, 14);
      expect(missingKinds(report)).toEqual([]);
      expect(report.faults.staleCoordinators).toBe(1);
      expect(report.deadLetters.distinct).toBe(report.deadLetters.injected);
      expect(report).toMatchObject({ mismatches: 0, lost: 0, duplicated: 0 });
    },
    60_000,
  );
});
