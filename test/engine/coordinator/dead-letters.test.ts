import { ManualClock, MemoryStore, readManifest, type Source, StreamingContext } from '../../../src/engine';

/** A source whose odd records cannot be decoded: they come back as dead letters. */
const flakySource: Source<string> = {
  async read({ batchIndex }) {
    const records: string[] = [];
    const deadLetters = [];
    for (let i = 0; i < 6; i++) {
      const position = `${batchIndex}-${i}`;
      if (i % 2 === 0) records.push(`ok-${position}`);
      else
        deadLetters.push({
          shard: 'shard-0',
          position,
          data: new Uint8Array([0xff, i]),
          error: 'invalid utf-8',
        });
    }
    return {
      records,
      ranges: [{ shard: 'shard-0', first: `${batchIndex}-0`, last: `${batchIndex}-5`, count: 6 }],
      deadLetters,
    };
  },
};

describe('dead letters', () => {
  it('stores undecodable records with shard and position, counts them in the manifest, and runs the batch', async () => {
    const ssc = new StreamingContext({ batchInterval: '1s', partitions: 2, name: 'dl' });
    const seen: string[][] = [];
    ssc.inputStream(flakySource, { name: 'flaky' }).foreachBatch(async (rdd) => {
      seen.push(await rdd.collect());
    });
    const store = new MemoryStore();
    ssc.start({ store, clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches: 2 });
    await ssc.awaitTermination();

    expect(seen).toEqual([
      ['ok-0-0', 'ok-0-2', 'ok-0-4'],
      ['ok-1-0', 'ok-1-2', 'ok-1-4'],
    ]);
    const manifest = await readManifest(store, 1000);
    expect(manifest?.inputs[0]).toMatchObject({ records: 3, deadLetters: 3 });
    // One object per batch and shard, not one request per bad record.
    const letters = await store.list('deadletters/000000000001000/');
    expect(letters.map((e) => e.key)).toEqual(['deadletters/000000000001000/s0/shard-0.json']);
    const object = JSON.parse(new TextDecoder().decode(await store.get(letters[0].key)));
    expect(object).toMatchObject({ stream: 'flaky', shard: 'shard-0', batchTime: 1000 });
    expect(object.letters.map((l: { position: string }) => l.position)).toEqual(['0-1', '0-3', '0-5']);
    expect(object.letters[0]).toMatchObject({ position: '0-1', error: 'invalid utf-8' });
    expect(Buffer.from(object.letters[0].data, 'base64')).toEqual(Buffer.from([0xff, 1]));
  });
});
