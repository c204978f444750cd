import { type BatchManifest, type InputManifest, type JobCatalog, StaleCoordinatorError } from '../catalog';
import type { DStreamGraph } from '../graph';

/**
 * The batches' write-ahead log: each batch's manifest, written first as the claim on the batch (created
 * once), then replaced only from the version this coordinator last wrote or read (compare-and-set), so of
 * two coordinators only one can own, fail or commit a batch.
 */
export class BatchLog {
  /** The batch claimed and not yet committed: its manifest version, and its inputs once recorded. */
  private claimed?: { time: number; version: string; inputs?: InputManifest[] };
  /** Only the first batch after a resume can have an earlier attempt by another coordinator. */
  private lookForEarlier = true;

  constructor(
    private readonly catalog: JobCatalog,
    private readonly graph: DStreamGraph,
  ) {}

  /**
   * The inputs an earlier attempt of this batch recorded (a failed attempt, a coordinator that died): its
   * blocks, cached partitions and sink output were made from them, so the batch must keep them. Only the
   * first batch after a resume can have an earlier attempt by another coordinator; later ones cost no
   * read (a claim another coordinator made meanwhile still stops this one: the claim is create-once).
   */
  async recordedInputs(time: number): Promise<InputManifest[] | undefined> {
    if (this.claimed?.time === time) return this.claimed.inputs;
    this.claimed = undefined;
    if (!this.lookForEarlier) return undefined;
    this.lookForEarlier = false;
    const earlier = await this.catalog.readManifest(time);
    if (!earlier) return undefined;
    if (earlier.value.status === 'committed') {
      throw new StaleCoordinatorError(`batch ${time} was already committed by another coordinator`, { time });
    }
    const inputs = this.complete(earlier.value) ? earlier.value.inputs : undefined;
    this.claimed = { time, version: earlier.version, inputs };
    return inputs;
  }

  /** Writes the batch's manifest; StaleCoordinatorError if another coordinator claimed the batch. */
  async write(manifest: BatchManifest): Promise<void> {
    const time = manifest.batchTime;
    const expected = this.claimed?.time === time ? this.claimed.version : undefined;
    const version = await this.catalog.writeManifest(manifest, expected);
    this.claimed = { time, version, inputs: this.complete(manifest) ? manifest.inputs : undefined };
  }

  /** A (re)started coordinator: its next batch may have been started by another one. */
  resumed(): void {
    this.lookForEarlier = true;
    this.claimed = undefined;
  }

  /** The batch committed: nothing is claimed any more. */
  committed(): void {
    this.claimed = undefined;
  }

  /** Only a manifest that recorded every input counts: an attempt can fail before its inputs are in. */
  private complete(manifest: BatchManifest): boolean {
    return (
      manifest.zeroTime === this.graph.zeroTime &&
      this.graph.inputs.every((input) => manifest.inputs.some((i) => i.stream === input.id))
    );
  }
}
