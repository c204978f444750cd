/** Pieces of the local-AWS chaos run: coordinator clocks, lease surgery, Kinesis faults for the job. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { GetRecordsCommand, ProvisionedThroughputExceededException } from '@aws-sdk/client-kinesis';
import { readManifest } from '../../src/engine/catalog';
import { isConditionFailed } from '../../src/engine/io/errors';
import type { KinesisSender } from '../../src/engine/io/kinesis/calls';
import { FaultyKinesis } from '../../src/engine/io/kinesis/faulty-kinesis';
import type { Clock, Store } from '../../src/engine/io/ports';
import { seededRandom } from '../faults';

/**
 * A coordinator's view of the run's manual clock. The run sets the clock just past each batch tick, so a
 * wait for a time off the batch grid is a batch retry's backoff: it ends after a few real milliseconds
 * instead of moving the shared clock (which would start later batches before their records are in the
 * stream). `skip(ms)` moves only this coordinator's time on: how a process paused past its lease sees
 * time when it wakes up.
 */
export class CoordinatorClock implements Clock {
  private offset = 0;

  constructor(
    private readonly base: Clock,
    private readonly batchMs = 1000,
  ) {}

  now(): number {
    return this.base.now() + this.offset;
  }

  skip(ms: number): void {
    this.offset += ms;
  }

  async sleepUntil(time: number): Promise<void> {
    if (time <= this.now()) return;
    if (time % this.batchMs !== 0) return new Promise((resolve) => setTimeout(resolve, 20));
    return this.base.sleepUntil(time - this.offset);
  }
}

/**
 * Rewrites the job's lease by compare-and-set, as the store would see it after `change`: a crashed or
 * killed coordinator is known dead (released), a paused one's lease has run out (expired). Retries while
 * S3 restarts; returns quietly when there is no lease.
 */
export async function rewriteLease(
  store: Store,
  change: (lease: Record<string, unknown>) => Record<string, unknown>,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const found = await store.getVersioned('lease.json');
      if (!found) return;
      const lease = JSON.parse(new TextDecoder().decode(found.body));
      const next = new TextEncoder().encode(JSON.stringify(change(lease)));
      await store.putIf('lease.json', next, { ifVersion: found.version });
      return;
    } catch (error) {
      if (attempt > 40) throw error;
      if (!isConditionFailed(error)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export interface KinesisChaos {
  wrap(client: KinesisSender): KinesisSender;
  counts: { kinesisThrottles: number; emptyPages: number };
}

const HOOK = '__sluiceChaosKinesis';
/** Task threads (which read Kinesis themselves) find the run's seed and where to report their faults here. */
const TASK_FAULTS_ENV = 'SLUICE_CHAOS_KINESIS_TASKS';

/**
 * Installs Kinesis faults for coordinators built in this process (the chaos job module asks for them;
 * task threads have their own globals and read Kinesis unharmed): throttling and empty pages.
 */
export function installKinesisChaos(seed: number): KinesisChaos {
  const random = seededRandom(seed * 31 + 7);
  const made: FaultyKinesis[] = [];
  // Worker threads started from now on copy this environment: their task-side reads get faults too.
  const taskDir = mkdtempSync(join(tmpdir(), 'sluice-chaos-kinesis-'));
  process.env[TASK_FAULTS_ENV] = JSON.stringify({ seed, dir: taskDir });
  // One throttled GetRecords for certain (the first of the run), more at random.
  let forced = 1;
  const chaos: KinesisChaos = {
    wrap(client) {
      const faulty = new FaultyKinesis(client, {
        seed: Math.floor(random() * 2 ** 31),
        throttle: 0.05,
        emptyPagesBeforeRecords: (_shard, r) => (r() < 0.3 ? 1 + Math.floor(r() * 2) : 0),
      });
      made.push(faulty);
      const send = (async (command: unknown) => {
        if (forced > 0 && command instanceof GetRecordsCommand) {
          forced--;
          faulty.counts.throttles++;
          throw new ProvisionedThroughputExceededException({
            message: 'Rate exceeded for shard (injected fault)',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return faulty.client.send(command as never);
      }) as KinesisSender['send'];
      return { send };
    },
    get counts() {
      const tasks = readdirSync(taskDir).map(
        (file) =>
          JSON.parse(readFileSync(join(taskDir, file), 'utf8')) as { throttles: number; emptyPages: number },
      );
      return {
        kinesisThrottles: [...made.map((f) => f.counts), ...tasks].reduce((n, c) => n + c.throttles, 0),
        emptyPages: [...made.map((f) => f.counts), ...tasks].reduce((n, c) => n + c.emptyPages, 0),
      };
    },
  };
  (globalThis as Record<string, unknown>)[HOOK] = chaos;
  return chaos;
}

export function uninstallKinesisChaos(): void {
  delete (globalThis as Record<string, unknown>)[HOOK];
  delete process.env[TASK_FAULTS_ENV];
}

/** For the job module: the installed Kinesis faults' wrapper, or the client unchanged. */
export function chaosKinesisClient(client: KinesisSender): KinesisSender {
  const chaos = (globalThis as Record<string, unknown>)[HOOK] as KinesisChaos | undefined;
  if (chaos) return chaos.wrap(client);
  const task = process.env[TASK_FAULTS_ENV];
  return task ? taskThreadFaults(client, JSON.parse(task) as { seed: number; dir: string }) : client;
}

/** A task thread's faults (throttling, empty pages), counted in a file of its own for the run to add up. */
function taskThreadFaults(client: KinesisSender, run: { seed: number; dir: string }): KinesisSender {
  const faulty = new FaultyKinesis(client, {
    seed: run.seed * 131 + threadId,
    throttle: 0.05,
    emptyPagesBeforeRecords: (_shard, r) => (r() < 0.3 ? 1 + Math.floor(r() * 2) : 0),
  });
  const report = () => writeFileSync(join(run.dir, `thread-${threadId}.json`), JSON.stringify(faulty.counts));
  const send = (async (command: unknown) => {
    try {
      return await faulty.client.send(command as never);
    } finally {
      report();
    }
  }) as KinesisSender['send'];
  return { send };
}

/** Progress lines on stderr with CHAOS_VERBOSE set (to find where a seed hangs). */
export function verbose(line: string): void {
  if (process.env.CHAOS_VERBOSE) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The committed input ranges around each differing batch, to tell a misplaced record from a lost one. */
export async function printInputs(store: Store, badBatches: number[], put: unknown[][]): Promise<void> {
  const times = new Set(badBatches.flatMap((b) => [b - 1, b, b + 1]));
  for (const batch of [...times].sort((a, b) => a - b)) {
    const manifest = await readManifest(store, batch * 1000).catch(() => undefined);
    const ranges = manifest?.inputs.flatMap((input) => input.ranges) ?? [];
    verbose(
      `batch ${batch} (${manifest?.status ?? 'no manifest'}, by ${manifest?.writtenBy?.owner ?? '?'}, ${put[batch - 1]?.length} put): ${ranges
        .map((r) => `${r.shard.slice(-3)} ${r.first.slice(-14)}..${r.last.slice(-14)} n=${r.count}`)
        .join('; ')}`,
    );
  }
}

/** Resolves once the wall clock has left millisecond `ms`. */
export async function pastMillisecond(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((resolve) => setTimeout(resolve, 1));
}
