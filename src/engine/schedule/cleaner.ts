import type { JobCatalog } from '../catalog';
import type { DStreamGraph } from '../graph';
import { batchPrefix, CHECKPOINT_PREFIX, checkpointPrefix, TRANSIENT_PREFIX, timeOfKey } from '../plan';

/**
 * Deletes what no later batch, window or recovery can reach (Spark's cleaner): transient batch data and
 * checkpoints older than the graph remembers, and manifests past the monitoring history. The newest
 * committed manifest always stays, since a restarted coordinator resumes from it. Cleaning is best
 * effort: a failure is reported and what was not deleted is found by a later collection.
 */
export class Cleaner {
  /** Batch data (and checkpoints) before this time have been deleted by this coordinator. */
  private collectedBefore?: number;
  private manifestsBefore?: number;
  /** Batch times this coordinator may have written transient data for (a listing finds what). */
  private readonly written = new Set<number>();

  constructor(
    private readonly graph: DStreamGraph,
    private readonly catalog: JobCatalog,
    /** What the coordinator holds of batch data, let go with it. */
    private readonly held: readonly { forgetBefore(time: number): void }[],
    private readonly manifestHistory: number,
    private readonly log?: (line: string) => void,
  ) {}

  /**
   * Notes that transient data of batch `time` may have been written (input blocks, output too big to send
   * back): only those batches are listed when collected. Most batches write none.
   */
  noteTransientWrite(time: number): void {
    this.written.add(time);
  }

  async collect(keepFrom: number, nextBatchTime: number): Promise<void> {
    try {
      const doomed =
        this.collectedBefore === undefined
          ? await this.leftoversBefore(keepFrom)
          : await this.batchesBetween(this.collectedBefore, keepFrom);
      doomed.push(...(await this.expiredManifests(nextBatchTime)));
      // One request per 1,000 keys, data and manifests together.
      if (doomed.length > 0) await this.catalog.store.delete(doomed);
      this.collectedBefore = Math.max(this.collectedBefore ?? keepFrom, keepFrom);
      for (const holder of this.held) holder.forgetBefore(keepFrom);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.log?.(`garbage collection before ${keepFrom} failed (${reason}); the next batch tries again`);
    }
  }

  /**
   * First collection of this coordinator: one listing each of transient data and checkpoints finds
   * leftovers of any age (a job that was stopped, task writes that came after their batch was collected),
   * where walking batch by batch from the oldest could take one request per interval since then.
   */
  private async leftoversBefore(keepFrom: number): Promise<string[]> {
    const { store } = this.catalog;
    const [transient, checkpoints] = await Promise.all([
      store.list(TRANSIENT_PREFIX),
      store.list(CHECKPOINT_PREFIX),
    ]);
    return [...transient, ...checkpoints].filter((e) => timeOfKey(e.key) < keepFrom).map((e) => e.key);
  }

  /** Data of the batches since the last collection; checkpoints exist only at checkpoint times. */
  private async batchesBetween(from: number, keepFrom: number): Promise<string[]> {
    const { store } = this.catalog;
    const doomed: string[] = [];
    for (let t = from; t < keepFrom; t += this.graph.batchMs) {
      if (this.written.delete(t))
        for (const entry of await store.list(batchPrefix(t))) doomed.push(entry.key);
      if (this.graph.checkpointsAt(t).length === 0) continue;
      for (const entry of await store.list(checkpointPrefix(t))) doomed.push(entry.key);
    }
    return doomed;
  }

  /** Manifests past the history kept for monitoring and for replaying inputs the graph may still read. */
  private async expiredManifests(nextBatchTime: number): Promise<string[]> {
    const needed = Math.ceil(this.graph.maxRememberMs() / this.graph.batchMs) + 1;
    const history = Math.max(1, needed, this.manifestHistory);
    const newestToDrop = nextBatchTime - this.graph.batchMs * (history + 1);
    this.manifestsBefore ??= (await this.catalog.manifestTimes())[0] ?? newestToDrop + this.graph.batchMs;
    const times: number[] = [];
    for (let t = this.manifestsBefore; t <= newestToDrop; t += this.graph.batchMs) times.push(t);
    this.manifestsBefore = Math.max(this.manifestsBefore, newestToDrop + this.graph.batchMs);
    return times.map((t) => this.catalog.manifestKeyOf(t));
  }
}
