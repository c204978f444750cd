import type { Command } from 'commander';
import { jobStoreIn } from '../catalog/layout';
import { StoreLocationError } from '../io/errors';
import type { Store } from '../io/ports';
import { storeFrom } from '../io/store-location';
import { UsageError } from './errors';

export interface StoreFlags {
  store?: string;
}

/** `--store`, shared by every command that reads a job's store. */
export function storeOption(command: Command): Command {
  return command.option(
    '--store <location>',
    'the root store the job runs with: s3://bucket/prefix/ or a directory (default: $SLUICE_STORE); S3 endpoints come from AWS_ENDPOINT_URL_S3',
  );
}

/** One job's view of the root store named by `--store` or SLUICE_STORE. */
export function jobStoreAt(flags: StoreFlags, job: string): Store {
  const location = flags.store ?? process.env.SLUICE_STORE;
  if (!location) {
    throw new UsageError('no store: pass --store <s3://bucket/prefix/ | ./dir> or set SLUICE_STORE');
  }
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  try {
    return jobStoreIn(storeFrom(location, endpoint, '--store'), job);
  } catch (error) {
    if (error instanceof StoreLocationError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}
