import { upstreamBackupMs } from '../../bench/sim/recovery';
import { runScenario, type ScenarioOptions } from '../../bench/sim/scenario';
import { VirtualClock } from '../../bench/sim/virtual-clock';

/** Everything the simulation reports about a run, without the real-CPU calibration figures. */
async function figuresOf(options: ScenarioOptions) {
  const { batches } = await runScenario(options);
  return batches.map(({ lambda: { realCpuMsReading, realCpuMsOther, ...lambda }, ...batch }) => ({
    ...batch,
    lambda,
  }));
}

describe('the scaling simulator', () => {
  const small: ScenarioOptions = {
    shards: 6,
    concurrency: 4,
    recordsPerSecond: 6000,
    batches: 12,
    seed: 7,
    chargeCpu: false,
  };

  it('gives the same figures for the same seed', async () => {
    const first = await figuresOf(small);
    const second = await figuresOf(small);
    expect(second).toEqual(first);
    expect(first).toHaveLength(12);
  });

  it('gives other figures for another seed', async () => {
    const first = await figuresOf(small);
    const other = await figuresOf({ ...small, seed: 8 });
    expect(other.map((b) => b.processingMs)).not.toEqual(first.map((b) => b.processingMs));
  });

  it('runs a 60-batch job on the virtual clock without waiting in real time', async () => {
    const timeout = jest.spyOn(global, 'setTimeout');
    const interval = jest.spyOn(global, 'setInterval');
    try {
      const { batches } = await runScenario({ ...small, batches: 60 });
      expect(batches.map((b) => b.batchTime)).toEqual(Array.from({ length: 60 }, (_, i) => (i + 1) * 1000));
      expect(batches[59].finishedAt).toBeGreaterThan(60_000);
      // Sixty simulated seconds went by and nothing slept on a real timer.
      const realWaits = timeout.mock.calls.filter(([, delay]) => (delay ?? 0) > 0);
      expect(realWaits).toEqual([]);
      expect(interval).not.toHaveBeenCalled();
    } finally {
      timeout.mockRestore();
      interval.mockRestore();
    }
  });

  it('counts the modelled requests of every batch', async () => {
    const [, , third] = await figuresOf(small);
    expect(third.records).toBe(6000);
    expect(third.lambda.invocations).toBe(third.tasks);
    expect(third.lambda.kinesisGetRecords).toBe(6);
    // Claim, commit, the sink's batch object; shuffles and state travel in task payloads.
    expect(third.s3.put).toBeGreaterThan(0);
    expect(third.s3.get).toBe(0);
  });

  /** The sink's output of every batch, by key. */
  async function sinkOutput(run: Awaited<ReturnType<typeof runScenario>>) {
    const keys = (await run.store.list('sinks/')).map((e) => e.key).sort();
    const texts = await Promise.all(
      keys.map(async (key) => new TextDecoder().decode(await run.store.get(key))),
    );
    return new Map(keys.map((key, i) => [key, texts[i]]));
  }

  /** Small enough that state travels in task requests (larger state goes through the store). */
  const held: ScenarioOptions = { ...small, recordsPerSecond: 600, batches: 16 };

  it('recomputes a lost node’s held partitions from lineage, back to the checkpoint, with the same output', async () => {
    const clean = await runScenario(held);
    const run = await runScenario({
      ...held,
      failure: { kind: 'node', afterBatch: 14, workers: 3 },
    });
    expect(run.lostHeld).toBeGreaterThan(0);
    // Only the first batch after the loss recomputes, and only the lost node's map outputs.
    expect(run.recoveries.map((r) => r.batchTime)).toEqual([15_000]);
    expect(run.recoveries[0].lost).toContain('updateStateByKey s4.0@14000');
    expect(run.recoveries[0].lost.join()).toMatch(/\(2 of 6 map outputs\)/);
    expect(run.batches.map((b) => b.batchTime)).toEqual(clean.batches.map((b) => b.batchTime));
    expect(await sinkOutput(run)).toEqual(await sinkOutput(clean));
  });

  it('has a new coordinator recompute all the lost one held from the checkpoint and the recorded ranges', async () => {
    const clean = await runScenario(held);
    const run = await runScenario({
      ...held,
      failure: { kind: 'coordinator', afterBatch: 14 },
    });
    expect(run.recoveries.map((r) => r.batchTime)).toEqual([15_000]);
    expect(run.recoveries[0].lost.join()).toMatch(/\(6 of 6 map outputs\)/);
    expect(run.recoveries[0].recoveryStages).toBeGreaterThan(0);
    expect(run.batches.map((b) => b.batchTime)).toEqual(clean.batches.map((b) => b.batchTime));
    expect(await sinkOutput(run)).toEqual(await sinkOutput(clean));
  });

  it('ships a held state partition next to stored ones, so a batch never looks up what only memory had', async () => {
    // At this rate some state partitions outgrow a task result (stored) while others come back in it
    // (held); a held one was once marked stored with them, and a request too big to carry it named it
    // without writing it.
    const { batches } = await runScenario({
      shards: 5,
      reducers: 5,
      concurrency: 5,
      shardsPerPartition: 20,
      recordsPerSecond: 100_000,
      batches: 3,
      chargeCpu: false,
    });
    expect(batches).toHaveLength(3);
  });
});

describe('the virtual clock', () => {
  it('jumps to the next sleeper once nothing else can run', async () => {
    const clock = new VirtualClock(0, false);
    const woken: number[] = [];
    const work = (async () => {
      await clock.sleepUntil(5000);
      woken.push(clock.now());
      await clock.sleepUntil(3_600_000);
      woken.push(clock.now());
    })();
    await clock.drive(work);
    expect(woken).toEqual([5000, 3_600_000]);
  });
});

describe('upstream backup', () => {
  const base = { failedAt: 25_500, lostBatches: 5, steadyMs: 500, interval: 1000 };

  it('takes longer to catch up as the lost node was busier', () => {
    const light = upstreamBackupMs({ ...base, nodeWorkMs: 200 });
    const heavy = upstreamBackupMs({ ...base, nodeWorkMs: 800 });
    expect(heavy).toBeGreaterThan(light);
  });

  it('never catches up when the node was fully loaded', () => {
    expect(upstreamBackupMs({ ...base, nodeWorkMs: 1000 })).toBe(Number.POSITIVE_INFINITY);
  });
});
