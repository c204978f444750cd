/**
 * PENDING (#12 datasets): until `ssc.dataset` and `leftOuterJoinDataset` are on main, the owners table is
 * read here from OWNERS_LOCATION, once per process, and looked up in a map step. With the dataset API
 * this file becomes:
 *   const owners = ssc.dataset<Pair<string, Owner>>(OWNERS_LOCATION, { decode: decodeOwners, name: 'owners' });
 *   return stream.leftOuterJoinDataset(owners, { broadcast: true });
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DStream, Pair, StreamingContext } from '../../src/engine';
import { decodeOwners, OWNERS_LOCATION, type Owner } from './owners';

let table: Map<string, Owner> | undefined;

function ownersTable(): Map<string, Owner> {
  if (!table) {
    const files = readdirSync(OWNERS_LOCATION)
      .filter((name) => name.endsWith('.jsonl'))
      .sort();
    if (files.length === 0) throw new Error(`no owners table (*.jsonl) under ${OWNERS_LOCATION}`);
    table = new Map(files.flatMap((name) => decodeOwners(readFileSync(join(OWNERS_LOCATION, name)), name)));
  }
  return table;
}

/** Each `[service, value]` with the service's owner, or null when the table has none (a left outer join). */
export function joinOwners<V>(
  _ssc: StreamingContext,
  stream: DStream<Pair<string, V>>,
): DStream<Pair<string, [V, Owner | null]>> {
  ownersTable(); // a missing or malformed table fails the job's build, not a batch
  return stream.map(
    ([service, value]): Pair<string, [V, Owner | null]> => [
      service,
      [value, ownersTable().get(service) ?? null],
    ],
  );
}
