/** Reading a run's results back and comparing them with the fault-free reference. */
import { type Store, StoreSink } from '../../src/engine';
import { canonicalJson } from '../../src/engine/util/hash';
import type { Row } from './pipeline';

/** Every committed batch's sink output. */
export async function sinkOutputs(store: Store): Promise<Map<number, Row[]>> {
  const sink = new StoreSink<Row>('chaos');
  const outputs = new Map<number, Row[]>();
  for (const time of await sink.committedBatches(store)) {
    outputs.set(time, (await sink.readBatch(store, time)) ?? []);
  }
  return outputs;
}

/**
 * Records dead-lettered because user code failed on them (deadletters/<time>/poison/<node>/<partition>):
 * how many entries the objects list, and how many distinct records (by stream, shard and place) they name.
 */
export async function poisonDeadLetters(store: Store): Promise<{ listed: number; distinct: number }> {
  let listed = 0;
  const distinct = new Set<string>();
  for (const entry of await store.list('deadletters/')) {
    if (!entry.key.includes('/poison/')) continue;
    const body = await store.get(entry.key);
    if (!body) continue;
    for (const line of new TextDecoder().decode(body).split('\n')) {
      if (!line.trim()) continue;
      const letters = JSON.parse(line) as { batchTime: number; records: { position?: unknown }[] };
      for (const record of letters.records) {
        listed++;
        distinct.add(canonicalJson([letters.batchTime, record.position ?? null]));
      }
    }
  }
  return { listed, distinct: distinct.size };
}

/** Per batch time, how the faulty run's sink output differs from the reference's. */
export function compareOutputs(reference: Map<number, Row[]>, faulty: Map<number, Row[]>, batches: number) {
  let mismatches = 0;
  let lost = 0;
  let duplicated = 0;
  const badBatches: number[] = [];
  for (let t = 1000; t <= batches * 1000; t += 1000) {
    const expected = (reference.get(t) ?? []).map((r) => canonicalJson(r));
    const actual = (faulty.get(t) ?? []).map((r) => canonicalJson(r));
    const diff = multisetDifference(expected, actual);
    lost += diff.missing;
    duplicated += diff.extra;
    if (!faulty.has(t) || diff.missing > 0 || diff.extra > 0) {
      if (process.env.CHAOS_VERBOSE) {
        process.stderr.write(
          `batch ${t / 1000} differs:\n  expected ${expected.sort().join(' ')}\n  actual   ${actual.sort().join(' ')}\n`,
        );
      }
      mismatches++;
      badBatches.push(t / 1000);
    }
  }
  return { mismatches, lost, duplicated, badBatches };
}

function multisetDifference(expected: string[], actual: string[]): { missing: number; extra: number } {
  const counts = new Map<string, number>();
  for (const e of expected) counts.set(e, (counts.get(e) ?? 0) + 1);
  let extra = 0;
  for (const a of actual) {
    const n = counts.get(a) ?? 0;
    if (n === 0) extra++;
    else counts.set(a, n - 1);
  }
  let missing = 0;
  for (const n of counts.values()) missing += n;
  return { missing, extra };
}
