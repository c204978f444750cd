/**
 * Source dead letters are written by the coordinator after it claimed the batch. A batch retried in
 * place, or taken over from a coordinator that stopped after its claim, reuses the recorded inputs; the
 * dead letters its manifest counts must still end up in the store.
 */
import { ManualClock, MemoryStore } from '../../../src/engine';
import { jobStoreIn } from '../../../src/engine/catalog';
import { StoreError } from '../../../src/engine/io/errors';
import { CountingStore, LogSource, wordCount } from '../../support/log-source';

class FailFirstDeadLetterPut extends CountingStore {
  failed = false;
  override async put(key: string, body: Uint8Array): Promise<void> {
    if (!this.failed && key.startsWith('deadletters/')) {
      this.failed = true;
      throw new StoreError(`s3 store: put of key ${JSON.stringify(key)} failed: SlowDown`, { key });
    }
    return super.put(key, body);
  }
}

describe('source dead letters of a batch retried in place', () => {
  it('are stored once the batch commits, even if the first attempt could not write them', async () => {
    const root = new MemoryStore();
    const store = new FailFirstDeadLetterPut(jobStoreIn(root, 'review'));
    const clock = new ManualClock(0, { autoAdvance: true });
    const source = new LogSource();
    source.records.push('a', 'garbage', 'b');
    source.undecodable.add(1);
    const job = wordCount(source);
    job.ssc.start({ store, clock, zeroTime: 0, batches: 1, owner: 'only', batchRetryBackoffMs: 10 });
    await job.ssc.awaitTermination();
    expect(store.failed).toBe(true);
    const manifest = JSON.parse(
      new TextDecoder().decode((await store.get('manifests/000000000001000.json'))!),
    );
    expect(manifest.status).toBe('committed');
    expect(manifest.inputs[0].deadLetters).toBe(1);
    const letters = await store.list('deadletters/');
    expect(letters.map((e) => e.key)).toEqual(['deadletters/000000000001000/s0/log.json']);
  });

  it('are read again from the recorded ranges by a coordinator that takes over the batch', async () => {
    const root = new MemoryStore();
    const store = new FailFirstDeadLetterPut(jobStoreIn(root, 'review'));
    const clock = new ManualClock(0, { autoAdvance: true });
    const records = ['a', 'garbage', 'b'];
    const first = wordCount(new LogSource(records));
    first.source.undecodable.add(1);
    first.ssc.start({ store, clock, zeroTime: 0, batches: 1, owner: 'first', batchRetries: 0 });
    await expect(first.ssc.awaitTermination()).rejects.toThrow(/SlowDown/);
    expect(await store.list('deadletters/')).toEqual([]);

    const second = wordCount(new LogSource(records));
    second.source.undecodable.add(1);
    second.ssc.start({ store, clock, zeroTime: 0, batches: 1, owner: 'second' });
    await second.ssc.awaitTermination();
    const letters = await store.list('deadletters/');
    expect(letters.map((e) => e.key)).toEqual(['deadletters/000000000001000/s0/log.json']);
    const object = JSON.parse(new TextDecoder().decode((await store.get(letters[0].key))!));
    expect(object.letters.map((l: { position: string }) => l.position)).toEqual(['1']);
  });
});
