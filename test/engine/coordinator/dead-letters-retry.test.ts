/**
 * Source dead letters are written by the coordinator (InputTracker.write) only on the path that decides
 * new inputs. A retried batch, or a batch taken over from a coordinator that died after its claim, reuses
 * the recorded inputs and never writes them, while its manifest still counts them.
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
});
