import { type Pair, readManifest } from '../../../src/engine';
import { runBatches } from '../../../src/engine/testing';
import { expectBatches } from '../operations/helpers';
import { CountingStore, writeJsonl } from './helpers';

type Owner = Pair<string, string>;

const owners: Owner[] = [
  ['api', 'ana'],
  ['web', 'wu'],
  ['db', 'dina'],
  ['db', 'dan'],
];

async function ownersStore(): Promise<CountingStore> {
  const store = new CountingStore();
  await writeJsonl(store, owners, 2);
  return store;
}

const events: Pair<string, number>[][] = [
  [
    ['api', 1],
    ['db', 2],
  ],
  [
    ['web', 3],
    ['cache', 4],
  ],
  [],
  [['db', 5]],
];

describe('joinDataset', () => {
  it('joins every batch of a pair stream with a dataset of pairs', async () => {
    const store = await ownersStore();
    const out = await runBatches(events, (s) =>
      s.joinDataset(s.context.dataset<Owner>(store, { format: 'jsonl', name: 'owners' })),
    );
    expectBatches(
      out,
      [
        [
          ['api', [1, 'ana']],
          ['db', [2, 'dina']],
          ['db', [2, 'dan']],
        ],
        [['web', [3, 'wu']]],
        [],
        [
          ['db', [5, 'dina']],
          ['db', [5, 'dan']],
        ],
      ],
      true,
    );
  });

  it('keeps stream pairs without a match in leftOuterJoinDataset, with null', async () => {
    const store = await ownersStore();
    const out = await runBatches(events.slice(0, 2), (s) =>
      s.leftOuterJoinDataset(s.context.dataset<Owner>(store, { format: 'jsonl' })),
    );
    expectBatches(
      out,
      [
        [
          ['api', [1, 'ana']],
          ['db', [2, 'dina']],
          ['db', [2, 'dan']],
        ],
        [
          ['web', [3, 'wu']],
          ['cache', [4, null]],
        ],
      ],
      true,
    );
  });

  it('reads the dataset once across ten batches', async () => {
    const store = await ownersStore();
    const batches = Array.from({ length: 10 }, (_, i): Pair<string, number>[] => [
      ['api', i],
      ['db', i],
    ]);
    const out = await runBatches(batches, (s) =>
      s.joinDataset(s.context.dataset<Owner>(store, { format: 'jsonl' })),
    );
    expect(out.flat()).toHaveLength(30);
    expect(Object.fromEntries(store.reads)).toEqual({ 'part-0.jsonl': 1, 'part-1.jsonl': 1 });
  });

  it('shuffles only the stream: the dataset is already partitioned by key like the join', async () => {
    const store = await ownersStore();
    const jobStore = new CountingStore();
    await runBatches(
      events.slice(0, 1),
      (s) => s.joinDataset(s.context.dataset<Owner>(store, { format: 'jsonl' }), { partitions: 3 }),
      { store: jobStore },
    );
    const manifest = await readManifest(jobStore, 1000);
    expect(manifest?.stages.filter((stage) => stage.kind === 'shuffleMap')).toHaveLength(1);
  });

  it('reads the dataset once per process with broadcast, and shuffles nothing', async () => {
    const store = await ownersStore();
    const jobStore = new CountingStore();
    const batches = Array.from({ length: 5 }, (_, i): Pair<string, number>[] => [['db', i]]);
    const out = await runBatches(
      batches,
      (s) => s.joinDataset(s.context.dataset<Owner>(store, { format: 'jsonl' }), { broadcast: true }),
      { store: jobStore },
    );
    expect(out.flat()).toHaveLength(10);
    expect(Object.fromEntries(store.reads)).toEqual({ 'part-0.jsonl': 1, 'part-1.jsonl': 1 });
    const manifest = await readManifest(jobStore, 5000);
    expect(manifest?.stages.filter((stage) => stage.kind === 'shuffleMap')).toEqual([]);
  });
});
