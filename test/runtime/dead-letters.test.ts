import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sourceDeadLetterKey } from '../../src/engine/catalog/layout';
import { MemoryStore } from '../../src/engine/io/memory-store';
import { bytesOf, listDeadLetters, redriveDeadLetters } from '../../src/engine/runtime/dead-letters';
import { runBatchesDetailed } from '../../src/engine/testing';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A job run whose map throws on records starting with 'bad', plus one undecodable Kinesis record. */
async function storeWithLetters(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await runBatchesDetailed(
    [['a', 'bad-1', 'b'], ['c'], ['bad-3', 'd', 'e', 'f']],
    (s) =>
      s.map((x) => {
        if (x.startsWith('bad')) throw new Error(`cannot parse ${x}`);
        return x.toUpperCase();
      }),
    { partitions: 1, store },
  );
  const body = {
    stream: 'events',
    batchTime: 2000,
    shard: 'shardId-000000000001',
    letters: [
      { position: '4960001', error: 'invalid UTF-8', data: Buffer.from([0xff, 0xfe]).toString('base64') },
    ],
  };
  await store.put(
    sourceDeadLetterKey(0, 2000, 'shardId-000000000001'),
    new TextEncoder().encode(JSON.stringify(body)),
  );
  return store;
}

describe('dead-letter tooling', () => {
  it('lists undecodable and poison records in batch order with their position, error and bytes', async () => {
    const store = await storeWithLetters();
    const letters = await listDeadLetters(store);
    expect(letters.map((l) => [l.kind, l.batchTime, text(l.data)])).toEqual([
      ['poison', 1000, 'bad-1'],
      ['source', 2000, '\ufffd\ufffd'],
      ['poison', 3000, 'bad-3'],
    ]);
    const [first, source] = letters;
    expect(first).toMatchObject({ operator: 'map', stream: 'queue-0', partition: 0 });
    expect(first.error).toContain('cannot parse bad-1');
    expect(first.position).toBe(
      "input 'queue-0' batch 1000 partition 0 record 1 (shard queue-0, record 1 read from 0:0 to 0:3)",
    );
    expect(source).toMatchObject({ stream: 'events', shard: 'shardId-000000000001' });
    expect([...source.data]).toEqual([0xff, 0xfe]);
  });

  it('lists only the batches between from and to', async () => {
    const store = await storeWithLetters();
    const letters = await listDeadLetters(store, { from: 2000, to: 3000 });
    expect(letters.map((l) => l.batchTime)).toEqual([2000, 3000]);
  });

  it('lists a poison record found again by a recomputation in a later batch once', async () => {
    const store = await storeWithLetters();
    const [key] = (await store.list('deadletters/')).map((e) => e.key).filter((k) => k.includes('poison'));
    const again = key.replace('000000000001000', '000000000004000');
    await store.put(again, (await store.get(key))!);
    expect((await listDeadLetters(store)).filter((l) => text(l.data) === 'bad-1')).toHaveLength(1);
  });

  it('redrives the original bytes through putRecords, in chunks, filtered by kind', async () => {
    const store = await storeWithLetters();
    const calls: { data: string; partitionKey: string }[][] = [];
    const result = await redriveDeadLetters(store, {
      kind: 'poison',
      chunk: 1,
      putRecords: async (records) => {
        calls.push(records.map((r) => ({ data: text(r.data), partitionKey: r.partitionKey })));
      },
    });
    expect(result).toEqual({ records: 2, calls: 2 });
    expect(calls.map((c) => c.map((r) => r.data))).toEqual([['bad-1'], ['bad-3']]);
    for (const [record] of calls) {
      expect(record.partitionKey.length).toBeGreaterThan(0);
      expect(record.partitionKey.length).toBeLessThanOrEqual(256);
    }
  });

  it('redrives nothing and fails clearly when putRecords fails', async () => {
    const store = await storeWithLetters();
    await expect(
      redriveDeadLetters(store, {
        putRecords: async () => {
          throw new Error('throttled');
        },
      }),
    ).rejects.toThrow('throttled');
    await expect(redriveDeadLetters(store, { putRecords: async () => {}, chunk: 501 })).rejects.toThrow(
      /chunk must be/,
    );
  });

  it('turns a poison record value back into bytes: strings as text, bytes from base64, others as JSON', () => {
    expect(text(bytesOf('abc'))).toBe('abc');
    expect([...bytesOf({ $base64: Buffer.from([1, 2]).toString('base64') })]).toEqual([1, 2]);
    expect(text(bytesOf({ id: 7, ok: true }))).toBe('{"id":7,"ok":true}');
  });

  describe('sluice deadletters', () => {
    const run = (args: string[]) =>
      promisify(execFile)(
        process.execPath,
        [resolve('node_modules/tsx/dist/cli.mjs'), resolve('src/engine/cli/main.ts'), 'deadletters', ...args],
        { env: { ...process.env, SLUICE_STORE: '' } },
      ).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );

    it('prints usage on --help and rejects bad arguments with a reason', async () => {
      const help = await run(['--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Usage: sluice deadletters');
      expect(help.stdout).toMatch(/list \[options\] <job>/);
      const bad = await run(['redrive', 'job', '--store', './x']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("required option '--stream <name>' not specified");
      const unknown = await run(['purge', 'job']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("unknown command 'purge'");
    }, 30_000);

    it('lists the dead letters of a job in a directory store', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-dl-'));
      const { FsStore } = await import('../../src/engine/io/fs-store');
      const { jobStore } = await import('../../src/engine/runtime/config');
      const store = jobStore(new FsStore({ root: dir }), 'orders');
      const memory = await storeWithLetters();
      for (const { key } of await memory.list('deadletters/')) await store.put(key, (await memory.get(key))!);
      const listed = await run(['list', 'orders', '--store', dir]);
      expect(listed.stderr).toBe('');
      expect(listed.stdout).toContain('3 dead letter(s): 1 undecodable, 2 poison');
      expect(listed.stdout).toContain('cannot parse bad-3');
    }, 30_000);
  });
});
