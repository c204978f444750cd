import { aggregate } from 'aws-kinesis-agg';

/** Packs user records the way the Kinesis Producer Library does: a few aggregated blobs. */
export function kplAggregate(records: { partitionKey: string; data: Buffer }[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const blobs: Buffer[] = [];
    aggregate(
      records,
      (encoded, done) => {
        blobs.push(encoded.data);
        done();
      },
      () => resolve(blobs),
      (error) => reject(error),
    );
  });
}
