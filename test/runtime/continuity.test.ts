import type { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  defineJob,
  type JobDefinition,
  ManualClock,
  MemoryStore,
  StoreSink,
  SystemClock,
} from '../../src/engine';
import { JobCatalog, Lease } from '../../src/engine/catalog';
import { LambdaStarter } from '../../src/engine/io/lambda-starter';
import { jobStore, type RuntimeConfig } from '../../src/engine/runtime/config';
import {
  GatedClock,
  InProcessSuccessorStarter,
  type SuccessorEvent,
} from '../../src/engine/runtime/continuity';
import { type CoordinatorRunSummary, runCoordinator } from '../../src/engine/runtime/coordinator-run';
import { RuntimeError } from '../../src/engine/runtime/errors';
import type { CoordinatorEvent } from '../../src/engine/runtime/lambda';

const sink = new StoreSink<number>('numbers');

/** A generator job; each batch's output takes `slowMs` (real time) when given. */
function job(name: string, batchInterval: string, slowMs = 0): JobDefinition {
  return defineJob({
    name,
    batchInterval,
    partitions: 1,
    build(ssc) {
      const numbers = ssc.generatorStream({ ratePerSecond: 100, generate: (i) => i });
      if (slowMs > 0) numbers.foreachBatch(() => new Promise((resolve) => setTimeout(resolve, slowMs)));
      numbers.writeTo(sink);
    },
  });
}

function configWith(...jobs: JobDefinition[]): RuntimeConfig {
  return {
    jobs: Object.fromEntries(jobs.map((j) => [j.name, j])),
    store: new MemoryStore(),
    taskParallelism: 2,
  };
}

/** remainingMs of an invocation that may run `ms` from now. */
function invocation(ms: number): () => number {
  const deadline = Date.now() + ms;
  return () => deadline - Date.now();
}

function catalogOf(config: RuntimeConfig, name: string): JobCatalog {
  return new JobCatalog(jobStore(config.store, name));
}

interface Commit {
  generation: number;
  batchTime: number;
  at: number;
  schedulingDelayMs: number;
  processingMs: number;
}

describe('coordinator continuity on Lambda', () => {
  it('starts its successor before the deadline and hands the lease straight to it, with no gap longer than one interval', async () => {
    const interval = 250;
    const config = configWith(job('relay', '250ms'));
    const commits: Commit[] = [];
    let generations = 0;
    const run = (event: CoordinatorEvent): Promise<CoordinatorRunSummary> => {
      const generation = generations++;
      return runCoordinator(config, {
        ...event,
        remainingMs: invocation(1600),
        handOverMarginMs: 200,
        successorLeadMs: 100,
        leasePollMs: 20,
        // Three invocations in a row; the last one has no successor and releases the lease.
        starter: generation < 2 ? starter : undefined,
        onBatch: (info) => commits.push({ generation, at: Date.now(), ...info }),
      });
    };
    const starter = new InProcessSuccessorStarter((event: SuccessorEvent) => run(event));

    const first = await run({ job: 'relay', watchdog: true });
    const rest = await starter.settled();

    expect(first.status).toBe('handed over');
    expect(starter.started[0]).toEqual({ job: 'relay', successorOf: first.owner, owner: first.successor });
    const summaries = rest.map((r) => (r as PromiseFulfilledResult<CoordinatorRunSummary>).value);
    expect(rest.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(summaries.map((s) => s.status)).toEqual(['handed over', 'stopped']);
    expect(summaries[0].owner).toBe(first.successor);
    expect(summaries[1].owner).toBe(summaries[0].successor);

    // Every batch committed once, in order, by one coordinator after the other, none skipped.
    const times = commits.map((c) => c.batchTime);
    expect(times).toEqual(times.map((_, i) => times[0] + i * interval));
    expect(commits.map((c) => c.generation)).toEqual([...commits.map((c) => c.generation)].sort());
    for (const generation of [1, 2]) {
      const last = commits.filter((c) => c.generation === generation - 1).at(-1)!;
      const next = commits.find((c) => c.generation === generation)!;
      // Commits are one interval apart in steady state; the hand-over adds less than one more interval,
      // and the successor's first batch started less than one interval after its batch time.
      expect(next.at - last.at).toBeLessThan(2 * interval);
      expect(next.schedulingDelayMs).toBeLessThan(interval);
    }
    const lease = (await catalogOf(config, 'relay').readLease())?.value;
    expect(lease).toMatchObject({ owner: summaries[1].owner, released: true });
  });

  it('does not start a batch that cannot finish before the deadline', async () => {
    // 100 ms batches whose output takes 300 ms: an "interval-sized" guess would start one too many.
    const config = configWith(job('slow', '100ms', 300));
    const margin = 200;
    const deadline = Date.now() + 2000;
    const commits: Commit[] = [];
    const summary = await runCoordinator(config, {
      job: 'slow',
      remainingMs: () => deadline - Date.now(),
      handOverMarginMs: margin,
      onBatch: (info) => commits.push({ generation: 0, at: Date.now(), ...info }),
    });
    const returnedAt = Date.now();

    expect(summary.status).toBe('stopped');
    expect(commits.length).toBeGreaterThanOrEqual(2);
    for (const commit of commits) expect(commit.at).toBeLessThanOrEqual(deadline - margin);
    expect(returnedAt).toBeLessThanOrEqual(deadline - margin);
    // It stopped because the next batch (assumed to take twice the slowest so far) would not fit.
    const slowest = Math.max(...commits.map((c) => c.processingMs));
    expect(deadline - commits.at(-1)!.at).toBeLessThan(2 * slowest + margin);
  });

  it('returns at once from a watchdog run while another coordinator holds a live lease', async () => {
    const config = configWith(job('relay', '250ms'));
    await Lease.acquire(catalogOf(config, 'relay'), new SystemClock(), 'other', 60_000);
    const startedAt = Date.now();

    const summary = await runCoordinator(config, {
      job: 'relay',
      watchdog: true,
      remainingMs: invocation(60_000),
    });

    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(summary).toMatchObject({ job: 'relay', status: 'already running', holder: 'other', batches: 0 });
    expect((await catalogOf(config, 'relay').readLease())?.value).toMatchObject({ owner: 'other' });
  });

  it('takes over from a watchdog run when the lease has expired', async () => {
    const config = configWith(job('relay', '250ms'));
    // A coordinator that died two minutes ago (its Lambda timed out) left its lease behind.
    const longAgo = new ManualClock(Date.now() - 120_000);
    await Lease.acquire(catalogOf(config, 'relay'), longAgo, 'dead', 30_000);

    const summary = await runCoordinator(config, {
      job: 'relay',
      watchdog: true,
      remainingMs: invocation(1200),
      handOverMarginMs: 200,
    });

    expect(summary.status).toBe('stopped');
    expect(summary.batches).toBeGreaterThan(0);
    expect((await catalogOf(config, 'relay').readLease())?.value).toMatchObject({
      owner: summary.owner,
      epoch: 2,
      released: true,
    });
  });

  it('refuses at start an interval too long for one Lambda invocation, with the limit in the message', async () => {
    const config = configWith(job('slowpoke', '8m'));
    const startedAt = Date.now();

    const refused = runCoordinator(config, {
      job: 'slowpoke',
      watchdog: true,
      remainingMs: invocation(900_000),
    });

    await expect(refused).rejects.toThrow(RuntimeError);
    await expect(refused).rejects.toThrow(/batch interval of 480 s.*at most 900 s.*at most 447\.5 s/);
    await expect(refused).rejects.toThrow(/shorter batch interval, or run the job on the embedded runtime/);
    expect(Date.now() - startedAt).toBeLessThan(2000);
    // The refused start gave the lease back: the next coordinator is not blocked.
    await expect(
      Lease.acquire(catalogOf(config, 'slowpoke'), new SystemClock(), 'next', 1000),
    ).resolves.toBeDefined();
  });

  it('starts the successor with an asynchronous invoke of its own function, retrying throttling', async () => {
    const sent: InvokeCommand[] = [];
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
    const client = {
      send: async (command: InvokeCommand) => {
        sent.push(command);
        if (sent.length === 1) throw throttled;
        return { StatusCode: 202, $metadata: {} };
      },
    };
    const starter = new LambdaStarter<SuccessorEvent>({
      client,
      functionName: 'sluice-coordinator',
      clock: new ManualClock(0, { autoAdvance: true }),
    });
    const event = { job: 'relay', successorOf: 'old', owner: 'new' };

    await starter.start(event);

    expect(sent).toHaveLength(2);
    expect(sent[1].input).toMatchObject({ FunctionName: 'sluice-coordinator', InvocationType: 'Event' });
    expect(JSON.parse(new TextDecoder().decode(sent[1].input.Payload as Uint8Array))).toEqual(event);
  });
});

describe('the gated clock of a coordinator run', () => {
  it('holds batch sleeps while shut, but neither background waits nor sleeps called off', async () => {
    const inner = new ManualClock(0);
    const gate = new GatedClock(inner);
    const woken: string[] = [];
    const batch = gate.sleepUntil(1000).then(() => woken.push('batch'));
    const renewal = gate.sleepUntil(1000, { background: true }).then(() => woken.push('renewal'));
    const stop = new AbortController();
    const calledOff = gate.sleepUntil(1000, { signal: stop.signal }).then(() => woken.push('called off'));
    stop.abort();
    await calledOff;
    await new Promise(setImmediate);
    inner.advance(1000);
    await renewal;
    expect(woken).toEqual(['called off', 'renewal']);
    gate.open();
    await batch;
    expect(woken).toEqual(['called off', 'renewal', 'batch']);
  });
});
