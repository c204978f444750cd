/** Stores the user names in job code (an input prefix, an output bucket), as opposed to the job's own store. */
import { InvalidGraphError } from '../graph';
import { meteredStore } from '../io/metering';
import type { Store } from '../io/ports';
import { storeFrom } from '../io/store-location';

/**
 * The store at a location the user wrote (`s3://bucket/prefix/`, `/abs/dir`, `./rel/dir`), reached through
 * the S3 endpoint the environment names for local emulators; or the Store given. `what` names the option
 * in errors. Its requests count in each batch's request counts, like the job store's.
 */
export function storeAt(location: string | Store, what: string): Store {
  if (typeof location === 'string') {
    return meteredStore(
      storeFrom(location, process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL, what),
    );
  }
  if (typeof location?.list !== 'function' || typeof location.putIf !== 'function') {
    throw new InvalidGraphError(
      `${what} must be 's3://bucket/prefix/', a directory path ('/abs/dir' or './rel/dir') or a Store, got ${typeof location}`,
    );
  }
  return meteredStore(location);
}
