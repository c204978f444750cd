import { ConfigError } from '../util/errors';

/**
 * What a task does when user code (map, filter, a map-side reducer ...) fails on input records:
 * `'dead-letter'` finds the records that fail, writes them to a dead-letter object and completes the
 * partition without them; `'fail'` finds the first such record and fails the batch naming its position.
 * The object form sets how many records one partition may dead-letter before the task gives up.
 */
export type RecordErrorOption =
  | RecordErrorMode
  | { mode: RecordErrorMode; maxRecords?: number; maxFraction?: number };

export type RecordErrorMode = 'dead-letter' | 'fail';

export interface RecordErrorPolicy {
  mode: RecordErrorMode;
  /** At most this many records of one task's input are dead-lettered; more fail the task (default 100). */
  maxRecords: number;
  /** ... and at most this fraction of them (default 0.1; at least one record is always allowed). */
  maxFraction: number;
}

export const DEFAULT_RECORD_ERRORS: RecordErrorPolicy = {
  mode: 'dead-letter',
  maxRecords: 100,
  maxFraction: 0.1,
};

/** The policy an option asks for; throws ConfigError, saying what is accepted, on anything else. */
export function recordErrorPolicy(option: RecordErrorOption | undefined): RecordErrorPolicy {
  if (option === undefined) return DEFAULT_RECORD_ERRORS;
  const given = typeof option === 'string' ? { mode: option } : option;
  const mode = (given as { mode?: unknown } | null)?.mode;
  if (mode !== 'dead-letter' && mode !== 'fail') {
    throw new ConfigError(
      `onRecordError must be 'dead-letter', 'fail' or { mode, maxRecords?, maxFraction? }, not ${JSON.stringify(option)}`,
      { onRecordError: String(option) },
    );
  }
  const maxRecords = given.maxRecords ?? DEFAULT_RECORD_ERRORS.maxRecords;
  const maxFraction = given.maxFraction ?? DEFAULT_RECORD_ERRORS.maxFraction;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) {
    throw new ConfigError(`onRecordError.maxRecords must be a whole number >= 1, not ${maxRecords}`, {
      maxRecords,
    });
  }
  if (!(maxFraction > 0 && maxFraction <= 1)) {
    throw new ConfigError(`onRecordError.maxFraction must be in (0, 1], not ${maxFraction}`, { maxFraction });
  }
  return { mode, maxRecords, maxFraction };
}
