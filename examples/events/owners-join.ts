/**
 * The alerts' join with the owners table: a dataset (listed when the job starts, read once per process,
 * never per batch) broadcast to the tasks, since a team directory is small.
 */
import type { DStream, Pair, StreamingContext } from '../../src/engine';
import { decodeOwners, OWNERS_LOCATION, type Owner } from './owners';

/** Each `[service, value]` with the service's owner, or null when the table has none (a left outer join). */
export function joinOwners<V>(
  ssc: StreamingContext,
  stream: DStream<Pair<string, V>>,
): DStream<Pair<string, [V, Owner | null]>> {
  const owners = ssc.dataset<Pair<string, Owner>>(OWNERS_LOCATION, { decode: decodeOwners, name: 'owners' });
  return stream.leftOuterJoinDataset(owners, { broadcast: true });
}
