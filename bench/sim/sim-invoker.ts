import type { TaskResult, TaskSpec } from '../../src/engine/exec';
import { InvokeCancelledError } from '../../src/engine/io/errors';
import type { InvokeOptions, Invoker, Store } from '../../src/engine/io/ports';
import {
  KINESIS_GETRECORDS,
  KINESIS_GETRECORDS_PER_S,
  KINESIS_OUT_BYTES_PER_S,
  KINESIS_RECORDS_PER_CALL,
  LAMBDA_BURST_ENVIRONMENTS,
  LAMBDA_BURST_REFILL_PER_S,
  LAMBDA_COLD_START,
  LAMBDA_PAYLOAD_BYTES_PER_MS,
  LAMBDA_PAYLOAD_LIMIT_BYTES,
  LAMBDA_WARM_INVOKE,
  RECORD_BYTES,
} from './model';
import type { SeededRandom } from './random';
import type { InputTally, SimKinesisSource } from './sim-kinesis';
import type { SimStore, TaskRequest } from './sim-store';
import { SimulationError, type VirtualClock } from './virtual-clock';

export interface LambdaCounts {
  invocations: number;
  coldStarts: number;
  /** Invocations that waited for the burst scaling rate (Lambda would answer 429 and the client retry). */
  throttled: number;
  billedMs: number;
  kinesisGetRecords: number;
  kinesisGetShardIterator: number;
  largestPayloadBytes: number;
  /** Real CPU the task code took on its samples, split by whether it read stream input (calibration). */
  realCpuMsReading: number;
  realCpuMsOther: number;
}

export interface SimInvokerOptions {
  clock: VirtualClock;
  random: SeededRandom;
  store: SimStore;
  source: SimKinesisSource;
  concurrency: number;
  /** Runs the real task code on the sample (the same entry point the Lambda handler calls). */
  run: (spec: TaskSpec, store: Store) => Promise<TaskResult>;
  /** Modelled CPU of a task from what it read (simulated records), in ms of one Lambda vCPU. */
  cpuMs: (tally: InputTally) => number;
  /** Simulated records per sampled record, for the size of binary payloads. */
  scale: number;
}

interface Pending {
  spec: TaskSpec;
  requestedAt: number;
  options?: InvokeOptions;
  resolve: (result: TaskResult) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  freeAt: number;
  warm: boolean;
}

/**
 * Lambda on the simulated clock: at most `concurrency` tasks at once, cold starts for new environments
 * at the documented scaling rate, modelled invoke, transfer, Kinesis, S3 and CPU time. The real task
 * code runs (off the coordinator's CPU meter) on the sample, so the coordinator gets real results.
 */
export class SimInvoker implements Invoker<TaskSpec, TaskResult> {
  readonly counts: LambdaCounts = {
    invocations: 0,
    coldStarts: 0,
    throttled: 0,
    billedMs: 0,
    kinesisGetRecords: 0,
    kinesisGetShardIterator: 0,
    largestPayloadBytes: 0,
    realCpuMsReading: 0,
    realCpuMsOther: 0,
  };
  private readonly pending: Pending[] = [];
  private readonly slots: Slot[];
  private burst = { tokens: LAMBDA_BURST_ENVIRONMENTS, at: 0 };
  private closed = false;

  constructor(private readonly options: SimInvokerOptions) {
    this.slots = Array.from({ length: options.concurrency }, () => ({ freeAt: 0, warm: false }));
    options.clock.onIdle(() => this.launchPending());
  }

  get parallelism(): number {
    return this.options.concurrency;
  }

  invoke(spec: TaskSpec, options?: InvokeOptions): Promise<TaskResult> {
    if (this.closed) return Promise.reject(new SimulationError('the simulated invoker is closed'));
    return new Promise((resolve, reject) =>
      this.pending.push({ spec, requestedAt: this.options.clock.now(), options, resolve, reject }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async launchPending(): Promise<boolean> {
    if (this.pending.length === 0) return false;
    for (const task of this.pending.splice(0)) await this.launch(task);
    return true;
  }

  private async launch(task: Pending): Promise<void> {
    const { clock, random, source, store } = this.options;
    if (task.options?.signal?.aborted) {
      task.reject(new InvokeCancelledError('task cancelled before it started'));
      return;
    }
    const slot = this.slotFor(task.requestedAt);
    let start = Math.max(task.requestedAt, slot.freeAt);
    const cold = !slot.warm;
    if (cold) start = this.newEnvironmentAt(start);
    task.options?.onStart?.();
    this.counts.invocations++;

    const tally: InputTally = { shardReads: 0, records: 0 };
    const requests: TaskRequest[] = [];
    source.tally = tally;
    const sampled = { before: cpuMicros() };
    let result: TaskResult | undefined;
    let failure: unknown;
    try {
      result = await this.options.run(structuredClone(task.spec), store.forTask(requests));
    } catch (error) {
      failure = error;
    }
    source.tally = undefined;
    const realCpuMs = (cpuMicros() - sampled.before) / 1000;
    if (tally.shardReads > 0) this.counts.realCpuMsReading += realCpuMs;
    else this.counts.realCpuMsOther += realCpuMs;

    const requestBytes = payloadBytes(task.spec, this.options.scale);
    const responseBytes = result ? payloadBytes(result, this.options.scale) : 0;
    this.counts.largestPayloadBytes = Math.max(this.counts.largestPayloadBytes, requestBytes, responseBytes);
    let t = start + random.latency(LAMBDA_WARM_INVOKE) + requestBytes / LAMBDA_PAYLOAD_BYTES_PER_MS;
    const init = cold ? random.latency(LAMBDA_COLD_START) : 0;
    if (cold) this.counts.coldStarts++;
    t += init;
    const handlerStart = t;
    t += this.kinesisReadMs(tally);
    t += this.storeRound(requests, (r) => r.kind !== 'put' && r.kind !== 'delete', t);
    t += this.options.cpuMs(tally);
    t += this.storeRound(requests, (r) => r.kind === 'put' || r.kind === 'delete', t);
    this.counts.billedMs += Math.ceil(init + t - handlerStart);
    t += responseBytes / LAMBDA_PAYLOAD_BYTES_PER_MS;
    slot.freeAt = t;
    slot.warm = true;
    if (requestBytes > LAMBDA_PAYLOAD_LIMIT_BYTES || responseBytes > LAMBDA_PAYLOAD_LIMIT_BYTES) {
      failure = new SimulationError(
        `payload over Lambda's 6 MB limit (request ${requestBytes} B, response ${responseBytes} B)`,
        { node: task.spec.node, partition: task.spec.partition },
      );
    }
    clock.at(t, () => (failure === undefined ? task.resolve(result!) : task.reject(failure)));
  }

  /** A warm environment free by `time` if there is one (Lambda reuses them), else the first to free up. */
  private slotFor(time: number): Slot {
    let earliest = this.slots[0];
    for (const slot of this.slots) {
      if (slot.warm && slot.freeAt <= time) return slot;
      if (slot.freeAt < earliest.freeAt || (slot.freeAt === earliest.freeAt && slot.warm)) earliest = slot;
    }
    return earliest;
  }

  /** When a new execution environment may start, given the scaling rate (a token bucket). */
  private newEnvironmentAt(time: number): number {
    const b = this.burst;
    if (time > b.at) {
      b.tokens = Math.min(
        LAMBDA_BURST_ENVIRONMENTS,
        b.tokens + ((time - b.at) * LAMBDA_BURST_REFILL_PER_S) / 1000,
      );
      b.at = time;
    }
    if (b.tokens >= 1) {
      b.tokens--;
      return time;
    }
    this.counts.throttled++;
    const at = b.at + ((1 - b.tokens) * 1000) / LAMBDA_BURST_REFILL_PER_S;
    this.burst = { tokens: 0, at };
    return at;
  }

  /** Reading each shard's range: GetShardIterator, then GetRecords calls within the per-shard limits. */
  private kinesisReadMs(tally: InputTally): number {
    if (tally.shardReads === 0) return 0;
    const { random } = this.options;
    const perShard = tally.records / tally.shardReads;
    const calls = Math.max(1, Math.ceil(perShard / KINESIS_RECORDS_PER_CALL));
    this.counts.kinesisGetShardIterator += tally.shardReads;
    this.counts.kinesisGetRecords += calls * tally.shardReads;
    const spacing = 1000 / KINESIS_GETRECORDS_PER_S;
    const byCalls = random.latency(KINESIS_GETRECORDS) * 2 + (calls - 1) * spacing;
    const byBytes = ((perShard * RECORD_BYTES) / KINESIS_OUT_BYTES_PER_S) * 1000;
    // A task reading several shards reads them in parallel.
    return Math.max(byCalls, byBytes);
  }

  /** Requests a task issues together (all reads, then all writes) finish with the slowest. */
  private storeRound(requests: TaskRequest[], inRound: (r: TaskRequest) => boolean, at: number): number {
    let longest = 0;
    for (const r of requests) {
      if (inRound(r))
        longest = Math.max(longest, this.options.store.model.request(r.kind, r.key, at, r.pages));
    }
    return longest;
  }
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Serialized size of a payload; binary parts stand for `scale` times their sampled size. */
export function payloadBytes(value: unknown, scale: number): number {
  if (value === null || value === undefined) return 4;
  if (typeof value === 'string') return value.length + 2;
  if (typeof value === 'number' || typeof value === 'boolean') return 8;
  if (value instanceof Uint8Array) return Math.ceil(value.byteLength * 1.37 * scale); // base64 in JSON
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + payloadBytes(v, scale) + 1, 2);
  if (typeof value === 'object') {
    let sum = 2;
    for (const [k, v] of Object.entries(value)) sum += k.length + 4 + payloadBytes(v, scale);
    return sum;
  }
  return 0;
}
