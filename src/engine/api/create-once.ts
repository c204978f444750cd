/** The exactly-once write every sink shares: an output object is created once and never replaced. */
import { isConditionFailed } from '../io/errors';
import type { Store } from '../io/ports';
import { SinkError, SinkOutputConflictError } from './sink-errors';

/** Which output object is written, for errors: `sink` is how users know the sink (`StoreSink 'totals'`). */
export interface OutputObject {
  sink: string;
  key: string;
  batchTime: number;
}

/**
 * Writes `body` unless the key exists. An object already there must hold the same bytes (a retried or
 * speculative task, or a batch re-run after a crash: tasks are deterministic); other bytes mean the
 * batch's attempts computed different rows, which stops the batch rather than keep either copy.
 */
export async function createOnce(store: Store, body: Uint8Array, output: OutputObject): Promise<void> {
  const { sink, key, batchTime } = output;
  let existing: Uint8Array | undefined;
  // A refusal with nothing to read back is a concurrent write still landing (S3's 409): ask again.
  for (let attempt = 1; existing === undefined; attempt++) {
    try {
      await store.putIf(key, body, { ifAbsent: true });
      return;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      existing = await store.get(key);
      if (existing === undefined && attempt === 3) {
        throw new SinkError(
          `${sink}: ${key} refused a first write ${attempt} times yet cannot be read back`,
          { sink, key, batchTime },
          { cause: error },
        );
      }
    }
  }
  if (Buffer.from(existing).equals(body)) return;
  const context = { sink, key, batchTime, bytes: body.length, existingBytes: existing.length };
  throw new SinkOutputConflictError(
    `${sink}, batch ${batchTime}: ${key} already holds other output (${existing.length} bytes, this attempt ${body.length}); an earlier attempt of the batch computed different rows, and keeping either copy would break exactly-once output`,
    context,
  );
}
