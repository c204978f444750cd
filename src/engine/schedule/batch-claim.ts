import type { BatchManifest } from '../catalog';
import type { BatchLog } from './batch-log';
import type { DecidedInput, InputTracker } from './input-tracker';

/**
 * Claims a batch before anything of it is visible (see BatchLog) and fixes its inputs: those an earlier
 * attempt recorded, or the next interval of each source. Inputs are written only once the claim
 * succeeded, and a retry writes what a failed attempt claimed but did not write.
 */
export class BatchClaim {
  /** Inputs decided and claimed but not yet written (the attempt failed first): a retry writes them. */
  private unwritten?: { time: number; decided: DecidedInput[] };

  constructor(
    private readonly log: BatchLog,
    private readonly inputs: InputTracker,
    /** The lease check that precedes every externally visible write. */
    private readonly assertHeld: () => Promise<void>,
    /** Told when a batch wrote data only the cleaner will remove (input blocks). */
    private readonly noteTransientWrite: (time: number) => void,
  ) {}

  async claim(time: number, manifest: BatchManifest): Promise<void> {
    await this.assertHeld();
    const recorded = await this.log.recordedInputs(time);
    if (recorded) {
      manifest.inputs = recorded;
      await this.log.write(manifest);
      // An attempt of this coordinator that failed before its blocks and dead letters were written, or
      // of one that died after its claim: blocks are replayed by tasks, dead letters restored here.
      if (this.unwritten?.time === time) await this.writeInputs(time, this.unwritten.decided);
      else await this.inputs.restoreDeadLetters(time, recorded);
      return;
    }
    const decided = await this.inputs.decide(time);
    manifest.inputs = decided.map((d) => d.manifest);
    await this.log.write(manifest);
    this.unwritten = { time, decided };
    await this.writeInputs(time, decided);
  }

  private async writeInputs(time: number, decided: DecidedInput[]): Promise<void> {
    await this.assertHeld();
    if (decided.some((d) => d.blocks.length > 0)) this.noteTransientWrite(time);
    await this.inputs.write(time, decided);
    this.unwritten = undefined;
  }
}
