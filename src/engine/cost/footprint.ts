/**
 * What a process used while a job ran (peak memory, CPU per batch), and what a Lambda function of a given
 * memory size gets for it: the coordinator's memory is chosen from these figures (docs/COST.md).
 */

/** Lambda allocates CPU in proportion to memory: 1,769 MB is one vCPU (10,240 MB, the most, about six). */
export const LAMBDA_MB_PER_VCPU = 1769;

/** The vCPUs a Lambda function of `memoryMb` gets. */
export function lambdaVcpus(memoryMb: number): number {
  return memoryMb / LAMBDA_MB_PER_VCPU;
}

export interface Footprint {
  /** Peaks over the run, in MiB (Lambda's memory size and "Max Memory Used" are MiB too). */
  peakRssMb: number;
  peakHeapUsedMb: number;
  peakHeapTotalMb: number;
  /** Memory outside the V8 heap: Buffers and typed arrays (held partitions, payloads), native modules. */
  peakExternalMb: number;
  /** Samples taken. */
  samples: number;
}

const MIB = 1024 * 1024;

/** Samples `process.memoryUsage()` on a timer (unref'd: it never keeps the process alive). */
export class FootprintSampler {
  private peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 25) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const now = process.memoryUsage();
    this.peak = {
      rss: Math.max(this.peak.rss, now.rss),
      heapUsed: Math.max(this.peak.heapUsed, now.heapUsed),
      heapTotal: Math.max(this.peak.heapTotal, now.heapTotal),
      external: Math.max(this.peak.external, now.external),
    };
    this.samples++;
  }

  stop(): Footprint {
    clearInterval(this.timer);
    this.sample();
    return {
      peakRssMb: this.peak.rss / MIB,
      peakHeapUsedMb: this.peak.heapUsed / MIB,
      peakHeapTotalMb: this.peak.heapTotal / MIB,
      peakExternalMb: this.peak.external / MIB,
      samples: this.samples,
    };
  }
}
