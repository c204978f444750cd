import type { SourceError } from '../errors';
import type { KinesisCalls, Start } from './calls';
import type { ShardReadRequest } from './shard-read-request';
import { compareSequence } from './shards';
import type { TrimmedPositionCheck, UnprovenPosition } from './trimmed-position';

/** A shard iterator and what is still to be checked about the position it stands at. */
export interface OpenedIterator extends UnprovenPosition {
  iterator: string;
  obtainedAt: number;
}

/**
 * A new iterator for a shard's committed position (`basis`), or for its fresh start when it has none;
 * undefined when the shard has ended. Opened AT the committed record, not after it: reading it again
 * proves that it (and so nothing after it) was not trimmed (see TrimmedPositionCheck).
 */
export async function openPosition(
  calls: KinesisCalls,
  trim: TrimmedPositionCheck,
  request: Pick<ShardReadRequest, 'shard' | 'basis' | 'startingSequence' | 'fresh' | 'caughtUpAt'>,
): Promise<OpenedIterator | undefined> {
  const { shard, basis, startingSequence } = request;
  const at = async (start: Start, extra: Partial<OpenedIterator> = {}) => {
    const iterator = await calls.shardIterator(shard, start);
    return iterator === undefined ? undefined : { iterator, obtainedAt: calls.clock.now(), ...extra };
  };
  if (!basis) return at(request.fresh);
  if (startingSequence && compareSequence(startingSequence, basis) > 0) {
    // The shard's listing already starts after the committed record. Unless caught-up evidence may
    // cover that, fail before reading; if it may, the first record read is judged (admit).
    const lost = await trim.uncovered(request);
    if (lost !== undefined) {
      trim.trimmed(
        shard,
        basis,
        startingSequence,
        `the shard now starts at a later sequence number; ${lost}`,
      );
    }
    return at({ kind: 'type', type: 'TRIM_HORIZON' }, { gapFrom: basis });
  }
  try {
    return await at({ kind: 'at', sequence: basis }, { expect: basis });
  } catch (error) {
    const code = (error as SourceError).context?.code;
    if (code !== 'InvalidArgumentException') throw error;
    // Kinesis may refuse a sequence number that expired: look at the oldest record left to tell.
    return at({ kind: 'type', type: 'TRIM_HORIZON' }, { expect: basis, openError: error });
  }
}
