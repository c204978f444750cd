import { SplitShardCommand } from '@aws-sdk/client-kinesis';
import { ManualClock } from '../../src/engine/io/clock';
import { KinesisSource, type KinesisSourceOptions } from '../../src/engine/io/kinesis-source';
import type { DirectPart, SourceRange } from '../../src/engine/io/ports';
import { waitUntilActive } from '../support/kinesalite';
import { interval, useLocalKinesis } from '../support/kinesis-harness';

const SHARD0 = 'shardId-000000000000';
const LOW = '1';
const MIDDLE = (2n ** 127n).toString();
const HIGH = (2n ** 127n + 1n).toString();

const kinesis = useLocalKinesis('sluice-task-reads');

/** A source as one process (the coordinator, or one task process) builds it from the job's code. */
function processSource(
  streamName: string,
  clock: ManualClock,
  options: Partial<KinesisSourceOptions<string>> = {},
) {
  return new KinesisSource<string>({
    streamName,
    client: kinesis.newClient(),
    clock,
    settleMs: 0,
    ...options,
  });
}

/** A clock standing just after every record put so far (kinesalite stamps arrivals with the wall clock). */
async function clockAfterPuts(): Promise<ManualClock> {
  const start = Date.now();
  while (Date.now() <= start) await new Promise((resolve) => setImmediate(resolve));
  return new ManualClock(Date.now());
}

/** Every partition of a batch read by plan, as the tasks would. */
async function readAll(src: KinesisSource<string>, planned: SourceRange[], partitions: number, batch = 0) {
  const parts: DirectPart<string>[] = [];
  for (let p = 0; p < partitions; p++) {
    parts.push(await src.direct!.readPartition(interval(batch), p, partitions, async () => planned));
  }
  return parts;
}

/** The ranges as the coordinator commits them: what the tasks read in place of each plan. */
function commit(planned: readonly SourceRange[], parts: readonly DirectPart<string>[]): SourceRange[] {
  const read = new Map(parts.flatMap((p) => p.ranges ?? []).map((r) => [r.shard, r]));
  return planned.map(({ plan, ...range }) => (plan ? (read.get(range.shard) ?? range) : range));
}

const records = (parts: readonly DirectPart<string>[]) => parts.flatMap((p) => p.records);

describe('Kinesis read by tasks (planned ranges)', () => {
  it('plans ranges without reading a record and reads nothing through the coordinator', async () => {
    const stream = await kinesis.newStream(2);
    await kinesis.put(stream, [
      { data: 'a', hashKey: LOW },
      { data: 'b', hashKey: HIGH },
    ]);
    const coordinator = processSource(stream, await clockAfterPuts());
    const planned = await coordinator.direct!.ranges(interval(0), 2, undefined);
    expect(planned.map((r) => [r.shard, r.partition, r.count, r.last])).toEqual([
      [SHARD0, 0, 0, ''],
      ['shardId-000000000001', 1, 0, ''],
    ]);
    expect(planned.every((r) => r.plan !== undefined)).toBe(true);
  });

  it('a retry and a speculative copy in other processes read the same records, even with records put since', async () => {
    const stream = await kinesis.newStream(1);
    await kinesis.put(stream, ['one', 'two', 'three']);
    const clock = await clockAfterPuts();
    const planned = await processSource(stream, clock).direct!.ranges(interval(0), 1, undefined);
    const original = await readAll(processSource(stream, clock), planned, 1);
    await kinesis.put(stream, ['late-1', 'late-2']);
    const retry = await readAll(processSource(stream, clock), planned, 1);
    const speculative = await readAll(processSource(stream, clock), planned, 1);
    expect(records(original)).toEqual(['one', 'two', 'three']);
    expect(records(retry)).toEqual(records(original));
    expect(speculative[0].ranges).toEqual(original[0].ranges);
  });

  it('records that arrive after the cutoff go to the next batch, which continues exactly after the last one read', async () => {
    const stream = await kinesis.newStream(1);
    await kinesis.put(stream, ['early-1', 'early-2']);
    const clock = await clockAfterPuts();
    const coordinator = processSource(stream, clock);
    const task = processSource(stream, clock);
    const first = await coordinator.direct!.ranges(interval(0), 1, undefined);
    await kinesis.put(stream, ['late-1']);
    const firstRead = await readAll(task, first, 1, 0);
    expect(records(firstRead)).toEqual(['early-1', 'early-2']);
    const committed = commit(first, firstRead);
    expect(committed[0]).toMatchObject({ count: 2, caughtUpAt: first[0].plan!.cutoff });

    clock.advance((await clockAfterPuts()).now() - clock.now());
    const second = await coordinator.direct!.ranges(interval(1), 1, committed);
    expect(second[0].last).toBe(committed[0].last);
    const secondRead = await readAll(task, second, 1, 1);
    expect(records(secondRead)).toEqual(['late-1']);
  });

  it('a quiet shard reads nothing, keeps its position and records when it was caught up', async () => {
    const stream = await kinesis.newStream(1);
    await kinesis.put(stream, ['only']);
    const clock = await clockAfterPuts();
    const src = processSource(stream, clock);
    const committed = commit(
      await src.direct!.ranges(interval(0), 1, undefined),
      await readAll(src, await src.direct!.ranges(interval(0), 1, undefined), 1),
    );
    clock.advance(1000);
    const quiet = await src.direct!.ranges(interval(1), 1, committed);
    const [part] = await readAll(src, quiet, 1, 1);
    expect(part.records).toEqual([]);
    expect(part.ranges?.[0]).toMatchObject({ count: 0, first: '', last: committed[0].last });
    expect(part.ranges?.[0].caughtUpAt).toBeGreaterThanOrEqual(quiet[0].plan!.cutoff);
  });

  it('a partition no task read keeps its position: its records go to the next batch', async () => {
    const stream = await kinesis.newStream(1);
    await kinesis.put(stream, ['kept-1', 'kept-2']);
    const clock = await clockAfterPuts();
    const src = processSource(stream, clock);
    const unread = commit(await src.direct!.ranges(interval(0), 1, undefined), []);
    expect(unread[0]).toMatchObject({ count: 0, last: '' });
    clock.advance(1000);
    const next = await src.direct!.ranges(interval(1), 1, unread);
    expect(records(await readAll(src, next, 1, 1))).toEqual(['kept-1', 'kept-2']);
  });

  it('a split shard is read to its end before its children, which then take the records written after the split', async () => {
    const stream = await kinesis.newStream(1);
    await kinesis.put(stream, ['before-1', 'before-2']);
    await kinesis.client.send(
      new SplitShardCommand({ StreamName: stream, ShardToSplit: SHARD0, NewStartingHashKey: MIDDLE }),
    );
    await waitUntilActive(kinesis.client, stream);
    await kinesis.put(stream, [
      { data: 'after-low', hashKey: LOW },
      { data: 'after-high', hashKey: HIGH },
    ]);
    const clock = await clockAfterPuts();
    const src = processSource(stream, clock);
    const first = await src.direct!.ranges(interval(0), 2, undefined);
    expect(first.map((r) => r.shard)).toEqual([SHARD0]);
    const firstRead = await readAll(src, first, 2, 0);
    expect(records(firstRead)).toEqual(['before-1', 'before-2']);
    const committed = commit(first, firstRead);
    expect(committed[0].ended).toBe(true);

    clock.advance(1000);
    const second = await src.direct!.ranges(interval(1), 2, committed);
    expect(second.filter((r) => r.plan).map((r) => r.shard)).toEqual([
      'shardId-000000000001',
      'shardId-000000000002',
    ]);
    const secondRead = await readAll(src, second, 2, 1);
    expect(records(secondRead).sort()).toEqual(['after-high', 'after-low']);
    // The parent is no longer planned once a child has a committed range.
    clock.advance(1000);
    const third = await src.direct!.ranges(interval(2), 2, commit(second, secondRead));
    expect(third.map((r) => r.shard)).not.toContain(SHARD0);
  });

  it('a fresh process and a warm one agree that a shard split after planning has ended', async () => {
    const stream = await kinesis.newStream(1);
    await kinesis.put(stream, ['before-1', 'before-2']);
    const clock = await clockAfterPuts();
    const coordinator = processSource(stream, clock);
    const warm = processSource(stream, clock);
    const first = await coordinator.direct!.ranges(interval(0), 1, undefined);
    const committed = commit(first, await readAll(warm, first, 1, 0));
    // Split after the shard list was cached: the next plan does not know the shard is closed.
    await kinesis.client.send(
      new SplitShardCommand({ StreamName: stream, ShardToSplit: SHARD0, NewStartingHashKey: MIDDLE }),
    );
    await waitUntilActive(kinesis.client, stream);
    clock.advance(1000);
    const second = await coordinator.direct!.ranges(interval(1), 1, committed);
    const fresh = commit(second, await readAll(processSource(stream, clock), second, 1, 1));
    const kept = commit(second, await readAll(warm, second, 1, 1));
    expect(fresh.find((r) => r.shard === SHARD0)).toMatchObject({ count: 0, ended: true });
    expect(kept.find((r) => r.shard === SHARD0)).toMatchObject({ count: 0, ended: true });
  });

  it('a warm task process continues from its kept iterator without asking for a new one', async () => {
    const stream = await kinesis.newStream(1);
    await kinesis.put(stream, ['w-1']);
    const clock = await clockAfterPuts();
    const coordinator = processSource(stream, clock);
    const task = processSource(stream, clock);
    const first = await coordinator.direct!.ranges(interval(0), 1, undefined);
    const committed = commit(first, await readAll(task, first, 1, 0));
    await kinesis.put(stream, ['w-2']);
    clock.advance((await clockAfterPuts()).now() - clock.now());
    const second = await coordinator.direct!.ranges(interval(1), 1, committed);
    const sent: string[] = [];
    const client = kinesis.newClient();
    const counting = new KinesisSource<string>({
      streamName: stream,
      clock,
      settleMs: 0,
      client: {
        send: (command: { constructor: { name: string } }) => {
          sent.push(command.constructor.name);
          return client.send(command as never);
        },
      } as never,
    });
    // The same process read batch 0 first, then batch 1.
    await readAll(counting, first, 1, 0);
    sent.length = 0;
    expect(records(await readAll(counting, second, 1, 1))).toEqual(['w-2']);
    expect(sent).not.toContain('GetShardIteratorCommand');
  });
});
