import type { JobCatalog } from '../catalog';
import type { DStreamGraph } from '../graph';
import { batchPrefix, CHECKPOINT_PREFIX, checkpointPrefix, TRANSIENT_PREFIX } from '../plan';
import type { ShuffleOffsets } from './shuffle-offsets';

/**
 * Deletes what no later batch, window or recovery can reach (Spark's cleaner): transient batch data and
 * checkpoints older than the graph remembers, and manifests past the monitoring history. The newest
 * committed manifest always stays, since a restarted coordinator resumes from it.
 */
export class Cleaner {
  /** Batch data (and checkpoints) before this time have been deleted. */
  private collectedBefore?: number;
  private checkpointsBefore?: number;
  private manifestsBefore?: number;

  constructor(
    private readonly graph: DStreamGraph,
    private readonly catalog: JobCatalog,
    private readonly shuffleOffsets: ShuffleOffsets,
    private readonly manifestHistory: number,
  ) {}

  async collect(keepFrom: number, nextBatchTime: number): Promise<void> {
    const { store } = this.catalog;
    // First collection of this coordinator: find the oldest leftovers with one listing each.
    this.collectedBefore ??= await oldestTime(store.list(TRANSIENT_PREFIX), keepFrom);
    this.checkpointsBefore ??= await oldestTime(store.list(CHECKPOINT_PREFIX), keepFrom);
    const doomed: string[] = [];
    for (let t = this.collectedBefore; t < keepFrom; t += this.graph.batchMs) {
      for (const entry of await store.list(batchPrefix(t))) doomed.push(entry.key);
    }
    // Checkpoints exist only at checkpoint times, so only those are listed.
    for (let t = this.checkpointsBefore; t < keepFrom; t += this.graph.batchMs) {
      if (this.graph.checkpointsAt(t).length === 0) continue;
      for (const entry of await store.list(checkpointPrefix(t))) doomed.push(entry.key);
    }
    this.collectedBefore = Math.max(this.collectedBefore, keepFrom);
    this.checkpointsBefore = Math.max(this.checkpointsBefore, keepFrom);
    this.shuffleOffsets.forgetBefore(keepFrom);
    if (doomed.length > 0) await store.delete(doomed);
    await this.catalog.deleteManifests(await this.expiredManifests(nextBatchTime));
  }

  /** Manifests past the history kept for monitoring and for replaying inputs the graph may still read. */
  private async expiredManifests(nextBatchTime: number): Promise<number[]> {
    const needed = Math.ceil(this.graph.maxRememberMs() / this.graph.batchMs) + 1;
    const history = Math.max(1, needed, this.manifestHistory);
    const newestToDrop = nextBatchTime - this.graph.batchMs * (history + 1);
    this.manifestsBefore ??= (await this.catalog.manifestTimes())[0] ?? newestToDrop + this.graph.batchMs;
    const times: number[] = [];
    for (let t = this.manifestsBefore; t <= newestToDrop; t += this.graph.batchMs) times.push(t);
    this.manifestsBefore = Math.max(this.manifestsBefore, newestToDrop + this.graph.batchMs);
    return times;
  }
}

async function oldestTime(listing: Promise<{ key: string }[]>, fallback: number): Promise<number> {
  const oldest = (await listing)[0]?.key;
  return oldest ? Number(oldest.split('/')[1]) : fallback;
}
