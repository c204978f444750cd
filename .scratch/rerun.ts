import { StreamingContext } from '../src/engine/api/streaming-context';
import { StoreSink } from '../src/engine/api/store-sink';
import { ManualClock } from '../src/engine/io/clock';
import { MemoryStore } from '../src/engine/io/memory-store';
import type { Source, SourceRange } from '../src/engine/io/ports';

// Kinesis-like: read() returns everything appended after the committed position (not bound to the interval).
const log: string[] = ['a'];
const source: Source<string> = {
  async read(_i, after?: readonly SourceRange[]) {
    const from = after?.[0]?.last ? Number(after[0].last) + 1 : 0;
    const recs = log.slice(from);
    return { records: recs, ranges: [{ shard: 's', first: String(from), last: String(from + recs.length - 1), count: recs.length }] };
  },
};
const store = new MemoryStore();
const sink = new StoreSink<[string, number]>('out');
async function run(failFirst: boolean, batches: number) {
  const ssc = new StreamingContext({ batchInterval: 1000, partitions: 1, name: 'j' });
  const counts = ssc.inputStream(source).map((w): [string, number] => [w, 1]).updateStateByKey<string, number, number>((vs, s) => (s ?? 0) + vs.length);
  ssc.inputStream; // noop
  counts.writeTo(sink);
  let first = true;
  counts.foreachBatch(async () => { if (failFirst && first) { first = false; throw new Error('transient'); } });
  ssc.start({ store, clock: new ManualClock(0, { autoAdvance: true }), zeroTime: 0, batches, retry: { backoffMs: 0 } });
  await ssc.awaitTermination().catch((e) => console.log('run failed:', e.message));
}
(async () => {
  await run(true, 1);
  console.log('after attempt 1, committed sink batch 1000:', JSON.stringify(await sink.readBatch(store, 1000)));
  log.push('b');
  await run(false, 2);
  console.log('after restart, sink batch 1000:', JSON.stringify(await sink.readBatch(store, 1000)));
  console.log('sink batch 2000:', JSON.stringify(await sink.readBatch(store, 2000)));
})();
setTimeout(async () => {
  for (const e of await store.list('jobs/')) console.log(e.key);
  for (const e of await store.list('manifests/')) { const m = JSON.parse(new TextDecoder().decode((await store.get(e.key))!)); console.log(e.key, m.status, JSON.stringify(m.inputs.map((i: any) => [i.records, i.ranges]))); }
}, 3000);
