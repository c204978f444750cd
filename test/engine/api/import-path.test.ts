/**
 * Jobs, examples and tests import the engine as `'sluice'`: jest (moduleNameMapper), tsc (paths), Node
 * and tsx (package.json "exports", a package importing itself) and esbuild (tsconfig paths) all resolve
 * it to src/engine/index.ts, the one module the engine itself uses.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import * as sluice from 'sluice';
import {
  type KeyState,
  type MapAsyncOptions,
  type MapWithStateStream,
  type Pair,
  PromiseReturnedError,
  StreamingContext,
  type WindowOptions,
} from 'sluice';
import { runBatches } from 'sluice/testing';
import * as engine from '../../../src/engine';

const root = resolve(__dirname, '../../..');

describe("import ... from 'sluice'", () => {
  it('is the engine module itself, not a second copy', () => {
    expect(sluice.StreamingContext).toBe(engine.StreamingContext);
    expect(sluice.DStream).toBe(engine.DStream);
    expect(PromiseReturnedError).toBe(engine.PromiseReturnedError);
    expect(new StreamingContext({ batchInterval: 1000 })).toBeInstanceOf(engine.StreamingContext);
  });

  it('exports the types a stateful, windowed, async job is written with', async () => {
    const window: WindowOptions = { window: '2s' };
    const lookup: MapAsyncOptions = { concurrency: 4 };
    const outputs = await runBatches([['a', 'b'], ['a']], (words) => {
      const counted: MapWithStateStream<string, number, Pair<string, number>> = words
        .map((w): Pair<string, number> => [w, 1])
        .mapWithState((key: string, value: number | undefined, state: KeyState<number>) => {
          const total = (state.exists() ? state.get() : 0) + (value ?? 0);
          state.update(total);
          return [key, total] as Pair<string, number>;
        });
      return counted.window(window).mapAsync(async ([key, total]) => `${key}=${total}`, lookup);
    });
    expect(outputs.map((batch) => [...batch].sort())).toEqual([
      ['a=1', 'b=1'],
      ['a=1', 'a=2', 'b=1'],
    ]);
  });

  it('resolves to src/engine/index.ts in plain Node, from the examples', () => {
    const resolved = execFileSync(
      process.execPath,
      ['-e', "process.stdout.write(require.resolve('sluice'))"],
      {
        cwd: join(root, 'examples', 'jobs'),
      },
    ).toString();
    expect(resolved).toBe(join(root, 'src', 'engine', 'index.ts'));
  });

  it('loads an example job through tsx', () => {
    const name = execFileSync(
      process.execPath,
      ['--import', 'tsx', '-e', "process.stdout.write(require('./examples/jobs/wordcount.ts').default.name)"],
      { cwd: root },
    ).toString();
    expect(name).toBe('wordcount');
  });

  it('is bundled from the sources by esbuild, as serverless-esbuild bundles the functions', async () => {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      stdin: { contents: "export { defineJob } from 'sluice';", resolveDir: root, loader: 'ts' },
      bundle: true,
      platform: 'node',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['@aws-sdk/*', '@smithy/*', 'msgpackr', 'aws-kinesis-agg', 'zod', '@middy/*'],
    });
    expect(Object.keys(result.metafile.inputs)).toContain('src/engine/index.ts');
  });
});
