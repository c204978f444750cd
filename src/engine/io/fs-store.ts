import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ConditionFailedError, StoreError } from './errors';
import { byKey, checkRange } from './memory-store';
import type { Store, StoreEntry, VersionedObject, WriteCondition } from './ports';

/** A lock left by a process that died mid compare-and-set is broken after this long. */
const STALE_LOCK_MS = 10_000;

/**
 * Names of in-flight writes start with this. Keys may not use it, so `list` can skip temp files without
 * ever hiding a real object.
 */
export const FS_STORE_TEMP_PREFIX = '.sluice-tmp-';

export interface FsStoreOptions {
  root: string;
}

/** A store over a directory: key `a/b/c` is the file `<root>/a/b/c`. */
export class FsStore implements Store {
  readonly root: string;

  constructor(options: FsStoreOptions) {
    this.root = path.resolve(options.root);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    // Renamed over the target, so readers see the old object or the new one, never a part.
    await this.writeBeside('put', key, body, (temp, file) => fs.rename(temp, file));
  }

  /**
   * Create-once is a hard link of a finished temp file (fails if the name exists); compare-and-set holds
   * a lock file beside the key, so processes sharing the directory agree on who won.
   */
  async putIf(key: string, body: Uint8Array, condition: WriteCondition): Promise<string> {
    await this.writeBeside('putIf', key, body, async (temp, file) => {
      if ('ifAbsent' in condition) {
        await fs.link(temp, file).catch((err: NodeJS.ErrnoException) => {
          throw err.code === 'EEXIST' ? refused(key, condition) : err;
        });
        return;
      }
      await this.withLock(file, async () => {
        const current = await this.getVersioned(key);
        if (current?.version !== condition.ifVersion) throw refused(key, condition);
        await fs.rename(temp, file);
      });
    });
    return versionOf(body);
  }

  /** Writes `body` to a temp file beside the key's file, then lets `place` move it into place. */
  private async writeBeside(
    op: string,
    key: string,
    body: Uint8Array,
    place: (temp: string, file: string) => Promise<void>,
  ): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (err) {
      // ENOTDIR / EEXIST: some parent of the key is already an object, which a directory cannot model.
      throw this.fail(op, key, err);
    }
    const temp = path.join(dir, FS_STORE_TEMP_PREFIX + randomBytes(8).toString('hex'));
    try {
      await fs.writeFile(temp, body, { flag: 'wx' });
      await place(temp, file);
    } catch (err) {
      if (err instanceof ConditionFailedError) throw err;
      throw this.fail(op, key, err);
    } finally {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const body = await this.get(key);
    return body ? { body, version: versionOf(body) } : undefined;
  }

  private async withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
    const lock = path.join(path.dirname(file), `${FS_STORE_TEMP_PREFIX}lock-${path.basename(file)}`);
    for (;;) {
      try {
        await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = await fs.stat(lock).then(
          (st) => Date.now() - st.mtimeMs,
          () => 0,
        );
        if (age > STALE_LOCK_MS) await fs.rm(lock, { force: true });
        else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    try {
      return await fn();
    } finally {
      await fs.rm(lock, { force: true });
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const file = this.pathOf(key);
    let buf: Buffer;
    try {
      buf = await fs.readFile(file);
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw this.fail('get', key, err);
    }
    // Hand back a plain Uint8Array view, like the other stores.
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    const file = this.pathOf(key);
    checkRange(key, start, end);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw this.fail('getRange', key, err);
    }
    try {
      // Size and bytes come from one open handle, so a concurrent replace cannot mix two versions.
      const stat = await handle.stat();
      if (!stat.isFile()) return undefined;
      const from = Math.min(start, stat.size);
      const to = Math.min(end, stat.size);
      const out = new Uint8Array(to - from);
      let filled = 0;
      while (filled < out.length) {
        const { bytesRead } = await handle.read(out, filled, out.length - filled, from + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled < out.length ? out.subarray(0, filled) : out;
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw this.fail('getRange', key, err);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async has(key: string): Promise<boolean> {
    const file = this.pathOf(key);
    try {
      return (await fs.stat(file)).isFile();
    } catch (err) {
      if (isAbsent(err)) return false;
      throw this.fail('has', key, err);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    // Validate every key first so a bad key cannot leave the batch half deleted.
    const files = keys.map((key) => this.pathOf(key));
    await Promise.all(
      files.map(async (file, i) => {
        try {
          await fs.unlink(file);
        } catch (err) {
          if (!isAbsent(err)) throw this.fail('delete', keys[i], err);
        }
      }),
    );
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    const slash = prefix.lastIndexOf('/');
    const dirPart = slash < 0 ? '' : prefix.slice(0, slash);
    checkPrefix(prefix, dirPart);
    // Only the directory named by the prefix can hold matches, so start the walk there.
    const dirKey = dirPart === '' ? '' : dirPart + '/';
    const out: StoreEntry[] = [];
    await this.walk(path.join(this.root, dirPart), dirKey, prefix, out);
    return out.sort(byKey);
  }

  private async walk(dir: string, dirKey: string, prefix: string, out: StoreEntry[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isAbsent(err)) return;
      throw this.fail('list', prefix, err);
    }
    await Promise.all(
      entries.map(async (entry) => {
        if (entry.name.startsWith(FS_STORE_TEMP_PREFIX)) return;
        const key = dirKey + entry.name;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          const sub = key + '/';
          if (sub.startsWith(prefix) || prefix.startsWith(sub)) await this.walk(full, sub, prefix, out);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          try {
            const stat = await fs.stat(full);
            out.push({ key, size: stat.size, modified: Math.floor(stat.mtimeMs) });
          } catch (err) {
            // Deleted between readdir and stat: it is simply no longer listed.
            if (!isAbsent(err)) throw this.fail('list', prefix, err);
          }
        }
      }),
    );
  }

  private pathOf(key: string): string {
    checkKey(key);
    return path.join(this.root, key);
  }

  private fail(op: string, key: string, cause: unknown): StoreError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new StoreError(
      `fs store: ${op} of key ${JSON.stringify(key)} under ${this.root} failed: ${reason}`,
      { key, op, root: this.root },
      { cause },
    );
  }
}

/** Content-addressed, like an S3 ETag of a single-part upload: equal bytes, equal version. */
function versionOf(body: Uint8Array): string {
  return createHash('md5').update(body).digest('hex');
}

function refused(key: string, condition: WriteCondition): ConditionFailedError {
  const why = 'ifAbsent' in condition ? 'it already exists' : 'it changed since it was read';
  return new ConditionFailedError(`conditional write of store key ${JSON.stringify(key)} refused: ${why}`, {
    key,
    condition,
  });
}

/** Rejects keys that could escape the root or name one file two ways. */
function checkKey(key: string): void {
  const problem = keyProblem(key);
  if (problem !== undefined) {
    throw new StoreError(`invalid store key ${JSON.stringify(key)}: ${problem}`, { key });
  }
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key === '') return 'it is empty';
  const charProblem = charsProblem(key);
  if (charProblem !== undefined) return charProblem;
  for (const segment of key.split('/')) {
    if (segment === '') return "it has an empty path segment (leading, trailing or doubled '/')";
    if (segment === '..') return "it has a '..' segment";
    if (segment === '.') return "it has a '.' segment";
    if (segment.startsWith(FS_STORE_TEMP_PREFIX))
      return `a segment starts with the reserved '${FS_STORE_TEMP_PREFIX}'`;
  }
  return undefined;
}

function charsProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'it contains a NUL character';
  if (text.includes('\\')) return 'it contains a backslash';
  if (text.startsWith('/')) return "it is absolute (starts with '/')";
  return undefined;
}

/** A prefix's last segment is only matched as text; the directory part must be a valid key path. */
function checkPrefix(prefix: string, dirPart: string): void {
  const problem = charsProblem(prefix) ?? (dirPart === '' ? undefined : keyProblem(dirPart));
  if (problem !== undefined) {
    throw new StoreError(`invalid store prefix ${JSON.stringify(prefix)}: ${problem}`, { prefix });
  }
}

/** No object at this key: missing file, a file where a directory was expected, or a directory. */
function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
