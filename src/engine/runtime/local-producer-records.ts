/**
 * How the local producer turns user records into PutRecords entries: one entry each, or packed the way
 * the Kinesis Producer Library does (its default AggregationMaxSize, 51,200 bytes, per Kinesis record).
 * On AWS a shard takes at most 1,000 records/s, so a producer at tens of thousands of records per second
 * on a few shards has to aggregate; kinesalite, which throttles nothing, would otherwise hide that.
 */
import { aggregate } from 'aws-kinesis-agg';

/** The KPL's default upper bound on an aggregated record's size. */
export const KPL_AGGREGATION_MAX_BYTES = 51_200;
/** Room for the aggregate's framing (magic number, checksum, protobuf tags and key table). */
const FRAMING_BYTES = 256;

/** A PutRecords entry (the SDK's own type stays in io/). */
export interface PutEntry {
  Data: Uint8Array;
  PartitionKey: string;
}

export interface UserRecord {
  partitionKey: string;
  data: Buffer;
}

export function plainEntries(records: readonly UserRecord[]): PutEntry[] {
  return records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey }));
}

/** Consecutive records packed into aggregates of at most `maxBytes`, each keyed by its first record. */
export async function aggregatedEntries(
  records: readonly UserRecord[],
  maxBytes = KPL_AGGREGATION_MAX_BYTES,
): Promise<PutEntry[]> {
  const entries: PutEntry[] = [];
  for (const group of groupsUpTo(records, maxBytes - FRAMING_BYTES)) {
    for (const blob of await aggregateGroup(group)) {
      entries.push({ Data: blob, PartitionKey: group[0].partitionKey });
    }
  }
  return entries;
}

function groupsUpTo(records: readonly UserRecord[], budget: number): UserRecord[][] {
  const groups: UserRecord[][] = [];
  let group: UserRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    // Each user record adds its data, its key (at worst a new key-table entry) and a few varint bytes.
    const size = record.data.length + record.partitionKey.length + 16;
    if (group.length > 0 && bytes + size > budget) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(record);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

function aggregateGroup(group: UserRecord[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const blobs: Buffer[] = [];
    aggregate(
      group,
      (encoded, done) => {
        blobs.push(encoded.data);
        done();
      },
      () => resolve(blobs),
      (error) => reject(error),
    );
  });
}
