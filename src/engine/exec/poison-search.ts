import type { UserFunctionError } from '../plan';
import type { CountedInputPart } from './isolating-context';

/** A record of an input partition, by its index there. */
export interface RecordRef {
  part: CountedInputPart;
  index: number;
}

/** A record user code fails on, with the error it fails with. */
export interface FailingRecord {
  item: RecordRef;
  error: UserFunctionError;
}

/** Isolation gave up: the task fails as it would without isolation. */
export class GiveUp {
  constructor(readonly reason: string) {}
}

/** Runs the task's pipeline over only `records`, writing nothing; the user error, if any. */
export type ProbeRecords = (records: RecordRef[]) => Promise<UserFunctionError | undefined>;

/**
 * Group testing: finds failing records among `items` until `enough` are found, halving the subsets
 * that fail. `failing` is the error of a run over all `items` already known to fail (saves that run).
 * Throws GiveUp past the run budget, or when two halves pass but their union fails.
 */
export async function searchFailingRecords(
  items: RecordRef[],
  enough: number,
  found: FailingRecord[],
  probe: ProbeRecords,
  failing?: UserFunctionError,
): Promise<void> {
  if (items.length === 0) return;
  const n = items.length;
  const budget = 2 + 2 * enough * Math.max(1, Math.ceil(Math.log2(n)));
  let runs = 0;
  const test = async (subset: RecordRef[]) => {
    if (runs >= budget + 1) throw new GiveUp(`more than ${budget} runs`);
    runs++;
    return probe(subset);
  };
  const all = failing ?? (await test(items));
  if (!all) return;
  const within = async (subset: RecordRef[], error: UserFunctionError): Promise<void> => {
    if (subset.length === 1) {
      found.push({ item: subset[0], error });
      return;
    }
    const half = Math.ceil(subset.length / 2);
    const [a, b] = [subset.slice(0, half), subset.slice(half)];
    const inA = await test(a);
    if (inA) await within(a, inA);
    if (found.length >= enough) return;
    const inB = await test(b);
    if (inB) await within(b, inB);
    if (!inA && !inB) throw new GiveUp('records fail only together');
  };
  await within(items, all);
}
