import { gzipSync } from 'node:zlib';
import { ConfigError } from '../../src/engine';
import { checkObjectFormat, decodeObject } from '../../src/engine/io/object-formats';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('object formats', () => {
  it('reads lines, with \\r\\n or \\n, keeping empty lines but adding none for a final newline', () => {
    expect(decodeObject('k', bytes('a\r\n\nb\n'), 'lines')).toEqual({ records: ['a', '', 'b'], bad: [] });
    expect(decodeObject('k', bytes(''), 'lines')).toEqual({ records: [], bad: [] });
    expect(decodeObject('k', bytes('last'), 'lines').records).toEqual(['last']);
  });

  it('reads JSON Lines, ignoring blank lines and handing back each bad line with its position', () => {
    const { records, bad } = decodeObject('in/e.jsonl', bytes('{"a":1}\n  \n{oops\n[2]\n'), 'jsonl');

    expect(records).toEqual([{ a: 1 }, [2]]);
    expect(bad).toEqual([
      { position: 'in/e.jsonl:3', data: bytes('{oops'), error: expect.stringMatching(/^not JSON/) },
    ]);
  });

  it('hands back a line that is not UTF-8 rather than guess at its characters', () => {
    const data = new Uint8Array([0x61, 0x0a, 0xff, 0xfe, 0x0a, 0x62]);
    const { records, bad } = decodeObject('k', data, 'lines');

    expect(records).toEqual(['a', 'b']);
    expect(bad.map((b) => [b.position, [...b.data]])).toEqual([['k:2', [0xff, 0xfe]]]);
  });

  it('reads a whole object as one text record', () => {
    expect(decodeObject('k', bytes('a\nb\n'), 'text').records).toEqual(['a\nb\n']);
  });

  it('gunzips objects whose key ends in .gz, and hands back one that is not gzip', () => {
    expect(decodeObject('x.jsonl.gz', gzipSync(bytes('{"n":1}\n')), 'jsonl').records).toEqual([{ n: 1 }]);
    const broken = decodeObject('y.gz', bytes('plain'), 'lines');
    expect(broken.records).toEqual([]);
    expect(broken.bad[0]).toMatchObject({
      position: 'y.gz',
      error: expect.stringMatching(/^not valid gzip/),
    });
  });

  it('passes bytes and key to a decode function, and hands back the object when it throws', () => {
    const csv = (data: Uint8Array, key: string) =>
      new TextDecoder()
        .decode(data)
        .split('\n')
        .map((line) => `${key}:${line}`);
    expect(decodeObject('t.csv', bytes('1,2\n3,4'), csv).records).toEqual(['t.csv:1,2', 't.csv:3,4']);
    const failing = decodeObject('t.csv', bytes('x'), () => {
      throw new Error('no header');
    });
    expect(failing.bad).toEqual([{ position: 't.csv', data: bytes('x'), error: 'decode threw: no header' }]);
  });

  it('refuses an unknown format, naming the known ones', () => {
    expect(() => checkObjectFormat('parquet', 'dataset')).toThrow(ConfigError);
    expect(() => checkObjectFormat('parquet', 'dataset')).toThrow(
      /dataset: unknown format "parquet"; use one of 'lines', 'jsonl', 'text'/,
    );
  });
});
