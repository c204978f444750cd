/**
 * TypeScript worker scripts run from a bundle: esbuild compiles the script and the sources it imports
 * into one CommonJS file, so calls between engine modules are plain calls instead of tsx's export getters
 * (about 7% of a word count's CPU in a worker). Bundles are named by their content and kept in
 * `node_modules/.cache/sluice-workers` (where the bundle's own `require`s of packages still resolve); a
 * manifest per script lists the sources that went in, so a pool started while none changed reuses the
 * bundle without building. Without esbuild (a production install runs built JavaScript and never asks),
 * or when the build fails, the caller falls back to loading the script through tsx.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

interface Manifest {
  bundle: string;
  /** [path, size, mtimeMs] of every source in the bundle. */
  inputs: [string, number, number][];
}

/** The bundle to run for `script`, built if missing or stale; undefined when it cannot be built. */
export function bundledWorkerScript(script: string): string | undefined {
  const cache = cacheDirFor(script);
  if (!cache) return undefined;
  const manifestFile = join(cache, `${hash(script).slice(0, 16)}.json`);
  const current = readManifest(manifestFile);
  if (current && isFresh(current)) return current.bundle;
  return build(script, cache, manifestFile);
}

function build(script: string, cache: string, manifestFile: string): string | undefined {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = require('esbuild');
  } catch {
    return undefined;
  }
  let result: import('esbuild').BuildResult<{ write: false; metafile: true }>;
  try {
    result = esbuild.buildSync({
      entryPoints: [script],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      // Error classes are named by their constructor (SluiceError sets name = new.target.name).
      keepNames: true,
      sourcemap: 'inline',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
  } catch {
    return undefined;
  }
  const code = result.outputFiles[0].contents;
  const bundle = join(cache, `worker-${hash(code).slice(0, 16)}.js`);
  mkdirSync(cache, { recursive: true });
  writeAtomically(bundle, code);
  const inputs = Object.keys(result.metafile.inputs).map((input): [string, number, number] => {
    const path = resolve(input);
    const stat = statSync(path);
    return [path, stat.size, stat.mtimeMs];
  });
  writeAtomically(manifestFile, JSON.stringify({ bundle, inputs } satisfies Manifest));
  return bundle;
}

function readManifest(file: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function isFresh(manifest: Manifest): boolean {
  if (!existsSync(manifest.bundle)) return false;
  for (const [path, size, mtimeMs] of manifest.inputs) {
    try {
      const stat = statSync(path);
      if (stat.size !== size || stat.mtimeMs !== mtimeMs) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** `node_modules/.cache/sluice-workers` of the nearest node_modules above the script. */
function cacheDirFor(script: string): string | undefined {
  let dir = dirname(resolve(script));
  for (;;) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'sluice-workers');
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Concurrent pools (jest workers) may write the same file: each writes its own and renames. */
function writeAtomically(file: string, contents: string | Uint8Array): void {
  const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(partial, contents);
  renameSync(partial, file);
}

function hash(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
