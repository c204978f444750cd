import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, MemoryStore, StoreSink } from '../../../src/engine';
import { startEmbedded } from '../../../src/engine/runtime/embedded';
import { sortedMultiset } from '../operations/helpers';

describe('datasets on worker threads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-owners-'));
  afterAll(() => {
    delete process.env.SLUICE_TEST_OWNERS;
    rmSync(dir, { recursive: true, force: true });
  });

  it('tasks in other processes read the listing the coordinator recorded and join the same rows', async () => {
    writeFileSync(join(dir, 'owners.jsonl'), '["api","ana"]\n["db","dina"]\n');
    process.env.SLUICE_TEST_OWNERS = dir;
    const job = startEmbedded({
      jobModule: join(__dirname, 'fixtures/owners-join-job.ts'),
      runtime: 'threads',
      workers: 2,
      store: new MemoryStore(),
      clock: new ManualClock(0, { autoAdvance: true }),
      batches: 3,
      smallBatchRecords: 0,
    });
    await job.done;
    for (const name of ['joined', 'broadcast']) {
      const sink = new StoreSink<unknown>(name);
      const batches = await sink.committedBatches(job.store);
      expect(batches).toHaveLength(3);
      const rows = sortedMultiset((await sink.readBatch(job.store, batches[1])) ?? []);
      expect(rows).toEqual([
        ['api', [1, 'ana']],
        ['db', [1, 'dina']],
      ]);
    }
    expect(await job.store.has('datasets/owners/listing.json')).toBe(true);
  }, 60_000);
});
