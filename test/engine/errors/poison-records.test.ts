import fc from 'fast-check';
import { type DStream, StreamingContext } from '../../../src/engine/api';
import { poisonDeadLetterKey } from '../../../src/engine/catalog/layout';
import type { PoisonDeadLetters } from '../../../src/engine/exec';
import { PoisonRecordError } from '../../../src/engine/exec';
import type { RecordErrorOption } from '../../../src/engine/graph';
import type { MemoryStore } from '../../../src/engine/io/memory-store';
import type { Store } from '../../../src/engine/io/ports';
import { type Pair, UserFunctionError } from '../../../src/engine/plan';
import { BatchFailedError, readManifest } from '../../../src/engine/schedule';
import { runBatchesDetailed } from '../../../src/engine/testing';
import { steppedContext } from '../checkpoint/harness';
import { causeChain, listManifests, runContext } from '../coordinator/helpers';
import { sortedMultiset } from '../operations/helpers';

const POISON = 'poison';

/** A map that throws on records marked poison (a negative number here). */
function parse(x: number): number {
  if (x < 0) throw new Error(`${POISON} ${x}`);
  return x * 10;
}

async function deadLetterObjects(store: Store): Promise<{ key: string; letters: PoisonDeadLetters }[]> {
  const entries = (await store.list('deadletters/')).filter((e) => e.key.includes('/poison/'));
  return Promise.all(
    entries.map(async (e) => ({
      key: e.key,
      letters: JSON.parse(new TextDecoder().decode((await store.get(e.key))!)) as PoisonDeadLetters,
    })),
  );
}

/** Runs queue-stream batches through `build` with a context option, collecting each batch. */
async function runWith<T, O>(
  inputs: T[][],
  build: (s: DStream<T>) => DStream<O>,
  options: { partitions?: number; onRecordError?: RecordErrorOption; store?: MemoryStore } = {},
) {
  const ssc = new StreamingContext({
    batchInterval: 1000,
    partitions: options.partitions ?? 2,
    name: 'poison',
    onRecordError: options.onRecordError,
  });
  const outputs = new Map<number, O[]>();
  build(ssc.queueStream(inputs)).foreachBatch(async (rdd, time) => {
    outputs.set(time, await rdd.collect());
  });
  const outcome = await runContext(ssc, { batches: inputs.length, store: options.store });
  return { ...outcome, outputs };
}

describe('records user code fails on (poison records)', () => {
  it('counts a poison record once in the batch when two shuffles read the stream it is in', async () => {
    const ssc = new StreamingContext({ batchInterval: 1000, partitions: 2, name: 'poison' });
    const parsed = ssc.queueStream([[1, 2, -3, 4]]).map(parse);
    const byParity = parsed.map((x): Pair<number, number> => [x % 20, 1]).reduceByKey((a, b) => a + b);
    const bySize = parsed.map((x): Pair<boolean, number> => [x > 15, 1]).reduceByKey((a, b) => a + b);
    byParity.foreachBatch(async (rdd) => {
      await rdd.collect();
    });
    bySize.foreachBatch(async (rdd) => {
      await rdd.collect();
    });
    const { infos, store } = await runContext(ssc, { batches: 1 });
    const manifest = (await readManifest(store, 1000))!;
    // Each shuffle's map stage left the record out on its own ...
    expect(manifest.stages.reduce((sum, stage) => sum + (stage.deadLettered ?? 0), 0)).toBe(2);
    // ... but the batch lost one record, and says so.
    expect(manifest.poisonedRecords).toBe(1);
    expect(infos[0].deadLetters).toBe(1);
  });

  it('dead-letters the one record a map function throws on and commits the rest of the batch', async () => {
    const run = await runBatchesDetailed([[1, 2, -3, 4]], (s) => s.map(parse), { partitions: 1 });
    expect(run.outputs).toEqual([[10, 20, 40]]);
    const manifest = await readManifest(run.store, 1000);
    expect(manifest?.status).toBe('committed');
    const result = manifest!.stages.find((s) => s.kind === 'result')!;
    expect(result.deadLettered).toBe(1);
    // Isolated inside the first attempt: no retries were spent on it.
    expect(result.attempts).toBe(1);
  });

  it('keeps running later batches after a poison record (the job never stops on it)', async () => {
    const { error, outputs, store } = await runWith(
      [[1, 2], [3, -4, 5], [6]],
      (s) =>
        s
          .map(parse)
          .map((x) => [x % 20, x] as Pair<number, number>)
          .reduceByKey((a, b) => a + b),
      { partitions: 2 },
    );
    expect(error).toBeUndefined();
    expect([...outputs.keys()]).toEqual([1000, 2000, 3000]);
    expect(outputs.get(2000)).toEqual([[10, 80]]);
    expect((await listManifests(store)).map((m) => [m.batchTime, m.status])).toEqual([
      [1000, 'committed'],
      [2000, 'committed'],
      [3000, 'committed'],
    ]);
    // The map side of the shuffle (where map ran) left the record out and says so.
    const stages = (await readManifest(store, 2000))!.stages;
    expect(stages.find((s) => s.kind === 'shuffleMap')?.deadLettered).toBe(1);
  });

  it('writes one dead-letter object per batch and partition with the record and the error', async () => {
    // Two partitions of four records; one poison record in each.
    const { error, store } = await runWith([[1, -2, 3, 4, 5, 6, -7, 8]], (s) => s.map(parse), {
      partitions: 2,
    });
    expect(error).toBeUndefined();
    const objects = await deadLetterObjects(store);
    expect(objects).toHaveLength(2);
    const node = objects[0].letters.node;
    expect(objects.map((o) => o.key)).toEqual([
      poisonDeadLetterKey(1000, node, 0),
      poisonDeadLetterKey(1000, node, 1),
    ]);
    const [first, second] = objects.map((o) => o.letters);
    expect(first).toMatchObject({ batchTime: 1000, node, partition: 0, operator: 'map' });
    expect(first.records).toEqual([
      {
        index: 1,
        position: {
          streamId: expect.any(Number),
          time: 1000,
          partition: 0,
          index: 1,
          stream: 'queue-0',
          shard: 'queue-0',
          shardFirst: '0:0',
          shardLast: '0:8',
          offsetInShard: 1,
        },
        operator: 'map',
        error: expect.stringContaining('poison -2'),
        data: -2,
      },
    ]);
    expect(second.records.map((r) => [r.index, r.position.offsetInShard, r.data])).toEqual([[2, 6, -7]]);
    expect((await readManifest(store, 1000))!.stages[0].deadLettered).toBe(2);
  });

  it('excludes the same records when a lost partition is recomputed from lineage', async () => {
    const inputs = [
      [1, -2, 3],
      [4, 5, -6],
      [7, -8, 9],
      [10, 11],
      [-12, 13],
    ];
    const build = (s: DStream<number>) =>
      s
        .map(parse)
        .map((x) => [x % 3, x] as Pair<number, number>)
        .reduceByKeyAndWindow((a, b) => a + b, { window: 3000, slide: 1000 });
    const reference = await runWith(
      inputs.map((batch) => batch.filter((x) => x >= 0)),
      build,
    );

    const stepped = steppedContext(inputs, build as (s: DStream<number>) => DStream<unknown>);
    await stepped.run(2);
    // Lose everything computed so far except the input blocks: windows and shuffles are recomputed.
    stepped.loseCoordinator();
    await stepped.run(2);
    stepped.loseCoordinator();
    await stepped.run(1);

    const times = [...stepped.outputs.keys()].sort((a, b) => a - b);
    expect(times).toEqual([1000, 2000, 3000, 4000, 5000]);
    for (const time of times) {
      expect(sortedMultiset(stepped.outputs.get(time)!)).toEqual(
        sortedMultiset(reference.outputs.get(time)!),
      );
    }
  });

  it('fails the batch naming the record position when the policy is fail', async () => {
    const { error, outputs } = await runWith([[1], [2, 3, -4]], (s) => s.map(parse), {
      partitions: 1,
      onRecordError: 'fail',
    });
    expect(error).toBeInstanceOf(BatchFailedError);
    expect([...outputs.keys()]).toEqual([1000]);
    const poison = causeChain(error).find((e) => e instanceof PoisonRecordError) as PoisonRecordError;
    expect(poison).toBeDefined();
    expect(poison.message).toContain(
      "the record at input 'queue-0' batch 2000 partition 0 record 2 (shard queue-0, record 2 read from 1:0 to 1:3)",
    );
    expect(poison.message).toContain("onRecordError is 'fail'");
    expect(poison.message).toContain('poison -4');
    expect((error as Error).message).toContain('record 2');
    expect(causeChain(error).some((e) => e instanceof UserFunctionError)).toBe(true);
  });

  it('names the exact source position of a numbered source (a generator read by the task itself)', async () => {
    const ssc = new StreamingContext({
      batchInterval: 1000,
      partitions: 2,
      name: 'generated',
      onRecordError: 'fail',
    });
    ssc
      .generatorStream({ ratePerSecond: 10, generate: (i) => i, name: 'numbers' })
      .map((i) => {
        if (i === 13) throw new Error('thirteen');
        return i;
      })
      .foreachBatch(async (rdd) => {
        await rdd.collect();
      });
    const { error } = await runContext(ssc, { batches: 2 });
    const poison = causeChain(error).find((e) => e instanceof PoisonRecordError) as PoisonRecordError;
    expect(poison.message).toContain("input 'numbers' batch 2000 partition 0 record 3");
    expect(poison.context.position).toMatchObject({ shard: 'numbers', sequenceNumber: '13' });
  });

  it('finds several poison records in one partition', async () => {
    const input = Array.from({ length: 40 }, (_, i) => ([3, 17, 18, 39].includes(i) ? -i - 1 : i));
    const run = await runBatchesDetailed([input], (s) => s.map(parse), { partitions: 1 });
    expect(run.outputs).toEqual([input.filter((x) => x >= 0).map((x) => x * 10)]);
    const [object] = await deadLetterObjects(run.store);
    expect(object.letters.records.map((r) => [r.index, r.data])).toEqual([
      [3, -4],
      [17, -18],
      [18, -19],
      [39, -40],
    ]);
  });

  it('fails as before when more records fail than the policy allows to dead-letter', async () => {
    const { error } = await runWith([[-1, -2, -3, 4]], (s) => s.map(parse), {
      partitions: 1,
      onRecordError: { mode: 'dead-letter', maxRecords: 2 },
    });
    expect(error).toBeInstanceOf(BatchFailedError);
    expect((error as Error).message).toMatch(/more than 1 input records make map fail/);
  });

  it('names the operator and the key when a reducer fails on the reduce side (no record to isolate)', async () => {
    const { error, store } = await runWith<Pair<string, number>, Pair<string, number>>(
      [
        [
          ['a', 1],
          ['k', 1],
          ['k', 2],
        ],
      ],
      (s) =>
        s.reduceByKey((x, y) => {
          if (x + y === 3) throw new Error('merge refused');
          return x + y;
        }, 1),
      { partitions: 3 },
    );
    expect(error).toBeInstanceOf(BatchFailedError);
    expect((error as Error).message).toContain('reduceByKey failed on partition 0');
    expect((error as Error).message).toContain('at key "k": merge refused');
    expect(await deadLetterObjects(store)).toEqual([]);
  });

  it('gives the same output as dropping the poison records, whatever the partition count', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: -20, max: 60 }), { maxLength: 25 }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: 1, max: 4 }),
        async (inputs, partitions) => {
          const build = (s: DStream<number>) =>
            s
              .filter((x) => {
                if (x < -15) throw new Error('filter poison');
                return x % 7 !== 0;
              })
              .map(parse)
              .map((x) => [x % 4, x] as Pair<number, number>)
              .reduceByKey((a, b) => a + b, 2);
          const reference = inputs.map((batch) => {
            const sums = new Map<number, number>();
            for (const x of batch) {
              if (x < 0 || x % 7 === 0) continue;
              const v = x * 10;
              sums.set(v % 4, (sums.get(v % 4) ?? 0) + v);
            }
            return sortedMultiset([...sums.entries()]);
          });
          const { error, outputs } = await runWith(inputs, build, {
            partitions,
            onRecordError: { mode: 'dead-letter', maxFraction: 1 },
          });
          expect(error).toBeUndefined();
          const actual = [...outputs.keys()]
            .sort((a, b) => a - b)
            .map((t) => sortedMultiset(outputs.get(t)!));
          expect(actual).toEqual(reference);
        },
      ),
      { numRuns: 40 },
    );
  });
});
