/** Store locations as users write them (`s3://bucket/prefix/`, a directory), and the store at one. */
import { isAbsolute, resolve } from 'node:path';
import { StoreLocationError } from './errors';
import { FsStore } from './fs-store';
import type { Store } from './ports';
import { s3ClientFor } from './s3-client';
import { S3Store } from './s3-store';

/** The forms SLUICE_STORE accepts, for error messages. */
export const STORE_FORMS =
  "s3://bucket/prefix/ (S3), an absolute directory path such as /var/lib/sluice, or a './'-relative one such as ./data";

/** Where a store lives, parsed from its configured location. */
export type StoreLocation = { kind: 's3'; bucket: string; prefix: string } | { kind: 'fs'; root: string };

/** S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending alphanumeric. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses a store location: `s3://bucket/prefix/`, an absolute path (or a `file:///absolute/path` URL), or a
 * path relative to the working directory spelled `./dir` (or `../dir`). Anything else (`s3:/typo`,
 * `bucket/prefix`, `file:relative`) is refused rather than taken for a directory named after the typo.
 */
export function parseStoreLocation(location: string, variable = 'SLUICE_STORE'): StoreLocation {
  const refuse = (why: string): never => {
    throw new StoreLocationError(
      `invalid configuration: ${variable} '${location}' ${why}; use ${STORE_FORMS}`,
      {
        variable,
        value: location,
        accepted: STORE_FORMS,
      },
    );
  };
  if (/^s3:\/\//i.test(location)) {
    const [, bucket = '', rest = ''] = /^s3:\/\/([^/]*)\/?(.*)$/i.exec(location) ?? [];
    if (!BUCKET.test(bucket)) refuse(`names no valid S3 bucket ('${bucket}')`);
    if (rest.startsWith('/') || rest.includes('//')) refuse('has an empty segment in its prefix');
    return { kind: 's3', bucket, prefix: rest && !rest.endsWith('/') ? `${rest}/` : rest };
  }
  if (/^file:\/\/\//i.test(location)) return { kind: 'fs', root: resolve(location.slice('file://'.length)) };
  if (isAbsolute(location)) return { kind: 'fs', root: resolve(location) };
  if (/^\.\.?\//.test(location)) return { kind: 'fs', root: resolve(location) };
  if (/^s3:/i.test(location)) return refuse("is not an S3 location: it must start with 's3://'");
  if (/^[a-z][a-z0-9+.-]*:/i.test(location))
    return refuse('is neither an s3:// location nor a directory path');
  return refuse("is ambiguous: a relative directory must start with './'");
}

/** The store at a location checked by `parseStoreLocation`: S3 (through `s3Endpoint` when given) or a directory. */
export function storeFrom(location: string, s3Endpoint?: string, variable = 'SLUICE_STORE'): Store {
  const parsed = parseStoreLocation(location, variable);
  if (parsed.kind === 'fs') return new FsStore({ root: parsed.root });
  return new S3Store({
    client: s3ClientFor({ endpoint: s3Endpoint }),
    bucket: parsed.bucket,
    prefix: parsed.prefix,
  });
}
