import type { CheckpointManifest } from '../catalog';
import { PACKED_CHECKPOINT_MAX_BYTES, packCheckpoint, packedCheckpointKey } from '../exec/checkpoint-pack';
import type { DStreamGraph } from '../graph';
import type { Store } from '../io/ports';
import { checkpointKey } from '../plan';
import { CheckpointWriteError } from './errors';
import type { BatchJobRunner } from './job-runner';

/**
 * Saves the RDDs of streams that checkpoint at this time. Usually an output already computed them and
 * the tasks sent the partitions back; any partition still missing is computed now, so the next batch can
 * rely on it. What only this coordinator holds is saved here: packed into one object when the whole
 * checkpoint is small (one PUT instead of one per partition), else one object per partition. Partitions
 * too big for a task result were saved by their task already.
 */
export async function writeCheckpoints(
  graph: DStreamGraph,
  time: number,
  runner: BatchJobRunner,
  store: Store,
): Promise<CheckpointManifest[]> {
  const written: CheckpointManifest[] = [];
  const keys: string[] = [];
  for (const stream of graph.checkpointsAt(time)) {
    const rdd = stream.getOrCompute(time);
    if (!rdd) continue;
    const streamKeys = Array.from({ length: rdd.numPartitions }, (_, p) => checkpointKey(stream.id, time, p));
    if (streamKeys.some((key) => runner.heldPartition(key) === undefined))
      await runner.runFinal(rdd.node, { kind: 'materialize' });
    const lost = streamKeys.filter((key) => runner.heldPartition(key) === undefined);
    if (lost.length > 0) {
      throw new CheckpointWriteError(
        `checkpoint of ${stream.operator} at ${time}: ${lost.length} partition(s) neither came back nor were saved`,
        { stream: stream.id, time, keys: lost },
      );
    }
    keys.push(...streamKeys);
    written.push({ stream: stream.id, operator: stream.operator, partitions: rdd.numPartitions });
  }
  await saveHeld(keys, time, runner, store);
  return written;
}

async function saveHeld(keys: readonly string[], time: number, runner: BatchJobRunner, store: Store) {
  const unsaved: [string, Uint8Array][] = [];
  for (const key of keys) {
    const bytes = runner.heldPartition(key);
    if (bytes && !runner.isSaved(key)) unsaved.push([key, bytes]);
  }
  const size = unsaved.reduce((sum, [, bytes]) => sum + bytes.length, 0);
  if (unsaved.length > 1 && size <= PACKED_CHECKPOINT_MAX_BYTES) {
    // Left unmarked as saved: a request too big to carry a partition saves it under its own key.
    await store.put(packedCheckpointKey(time), packCheckpoint(unsaved));
    return;
  }
  await Promise.all(unsaved.map(([key]) => runner.save(key)));
}
