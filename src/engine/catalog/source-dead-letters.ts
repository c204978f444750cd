import type { DeadLetter } from '../io/ports';
import { sourceDeadLetterKey } from './layout';

/**
 * The dead-letter objects of an input's batch: one per shard, under a key fixed by (stream, batch,
 * shard), so whoever writes them (the coordinator for blocks, the task reading the shard otherwise)
 * writes the same bytes to the same key.
 */
export function sourceDeadLetterObjects(
  streamId: number,
  streamName: string,
  time: number,
  letters: readonly DeadLetter[],
): { key: string; body: Uint8Array }[] {
  const byShard = new Map<string, DeadLetter[]>();
  for (const letter of letters) byShard.set(letter.shard, [...(byShard.get(letter.shard) ?? []), letter]);
  return [...byShard].map(([shard, group]) => {
    const body = {
      stream: streamName,
      batchTime: time,
      shard,
      letters: group.map((l) => ({
        position: l.position,
        error: l.error,
        data: Buffer.from(l.data).toString('base64'),
      })),
    };
    return {
      key: sourceDeadLetterKey(streamId, time, shard),
      body: new TextEncoder().encode(JSON.stringify(body)),
    };
  });
}
