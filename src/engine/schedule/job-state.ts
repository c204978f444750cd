import { JobCatalog } from '../catalog';
import type { Store } from '../io/ports';

/** The job's identity lives with its metadata; kept here for importers of the schedule layer. */
export { type JobState, loadOrCreateJobState } from '../catalog';

/** The newest committed batch counted from `zeroTime`, if any. */
export function lastCommittedBatch(store: Store, zeroTime: number) {
  return new JobCatalog(store).lastCommitted(zeroTime);
}
