import { runChaosSeed } from '../../bench/chaos';

describe('chaos (short run of npm run chaos)', () => {
  it.each([1, 2])(
    'seed %i: with task failures, stragglers, lost cached data and coordinator crashes, every batch matches the fault-free run',
    async (seed) => {
      const report = await runChaosSeed(seed, 25);
      expect(report.faults.taskFailures).toBeGreaterThan(0);
      expect(report.faults.stragglers).toBeGreaterThan(0);
      expect(report.faults.lostObjects).toBeGreaterThan(0);
      expect(report.faults.crashes).toBeGreaterThan(0);
      expect(report).toMatchObject({ mismatches: 0, lost: 0, duplicated: 0 });
    },
  );
});
