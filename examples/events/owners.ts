/**
 * The static table of service owners the alerts are joined with: JSON Lines under examples/events/data/,
 * one `{ service, team, channel, escalation }` per line, as a team directory export would be.
 */
import { resolve } from 'node:path';
import type { Pair } from 'sluice';

export interface Owner {
  team: string;
  channel: string;
  escalation: string;
}

/**
 * The owners table's location: SLUICE_OWNERS_LOCATION (e.g. `s3://bucket/owners/` on AWS), else the
 * example's data folder, absolute so every process (worker threads, emulated Lambda) finds the same files.
 */
export const OWNERS_LOCATION = process.env.SLUICE_OWNERS_LOCATION ?? resolve(__dirname, 'data');

export class BadOwnerRecordError extends Error {
  override name = 'BadOwnerRecordError';
}

/** One object's lines as `[service, owner]` pairs; a malformed line fails with its object and line number. */
export function decodeOwners(bytes: Uint8Array, key: string): Pair<string, Owner>[] {
  const pairs: Pair<string, Owner>[] = [];
  const lines = new TextDecoder().decode(bytes).split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line);
    } catch (cause) {
      throw new BadOwnerRecordError(`${key} line ${i + 1} is not JSON`, { cause });
    }
    const { service, team, channel, escalation } = row ?? {};
    if (typeof service !== 'string' || typeof team !== 'string' || typeof channel !== 'string') {
      throw new BadOwnerRecordError(
        `${key} line ${i + 1} needs string fields service, team and channel: ${line.slice(0, 120)}`,
      );
    }
    pairs.push([service, { team, channel, escalation: typeof escalation === 'string' ? escalation : '' }]);
  });
  return pairs;
}
