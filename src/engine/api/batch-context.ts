import { InvalidGraphError } from '../graph';
import type { Store } from '../io/ports';
import type { Dataset, DatasetOptions } from './dataset';
import type { StreamingContext } from './streaming-context';

/**
 * What a batch job's `build` gets: the datasets it reads. `build` runs once to find the datasets (they
 * are listed before the job runs) and again wherever the batch's lineage is needed, so the n-th call of
 * `dataset`/`parallelize` in one build returns the dataset the n-th call made the first time.
 */
export class BatchContext {
  private readonly made: Dataset<unknown>[] = [];
  private next = 0;

  constructor(private readonly ssc: StreamingContext) {}

  get defaultPartitions(): number {
    return this.ssc.defaultPartitions;
  }

  /** As StreamingContext.dataset: the objects under `location` as a dataset. */
  dataset<T = string>(location: string | Store, options: DatasetOptions<T> = {}): Dataset<T> {
    return this.reuse(options.name, () => this.ssc.dataset<T>(location, options));
  }

  /** As StreamingContext.parallelize: `values` as a dataset. */
  parallelize<T>(values: readonly T[], partitions?: number): Dataset<T> {
    return this.reuse(undefined, () => this.ssc.parallelize(values, partitions));
  }

  /** Starts a build over: its dataset calls are matched to the first build's again. */
  rewind(): void {
    this.next = 0;
  }

  private reuse<T>(name: string | undefined, make: () => Dataset<T>): Dataset<T> {
    const index = this.next++;
    const earlier = this.made[index];
    if (!earlier) {
      const dataset = make();
      this.made.push(dataset as Dataset<unknown>);
      return dataset;
    }
    if (name !== undefined && earlier.name !== name) {
      throw new InvalidGraphError(
        `build() asked for dataset '${name}' where its first run asked for '${earlier.name}'; build must create the same datasets in the same order every time`,
        { dataset: name },
      );
    }
    return earlier as Dataset<T>;
  }
}
