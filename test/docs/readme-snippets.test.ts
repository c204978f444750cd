import { resolve } from 'node:path';
import * as engine from '../../src/engine';
import * as testing from '../../src/engine/testing';
import { sortedMultiset } from '../engine/operations/helpers';
import { checkedSnippets, expectedValue, runSnippet } from '../support/readme-snippets';

const snippets = checkedSnippets(resolve(__dirname, '../../README.md'));
const scope: Record<string, unknown> = { ...engine, ...testing };

/** Each batch of a list of batches as a multiset; anything else as it is. */
function asMultisets(value: unknown): unknown {
  if (!Array.isArray(value) || !value.every(Array.isArray)) return value;
  return value.map((batch) => sortedMultiset(batch as unknown[]));
}

describe('README snippets', () => {
  it('has checked snippets for the operations it documents', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(27);
  });

  it.each(snippets.map((s) => [`${s.heading} (README.md:${s.line})`, s] as const))(
    'gives what it states: %s',
    async (_name, snippet) => {
      const out = await runSnippet(snippet, scope);
      if (snippet.exact) expect(out).toEqual(expectedValue(snippet));
      else expect(asMultisets(out)).toEqual(asMultisets(expectedValue(snippet)));
    },
  );
});
