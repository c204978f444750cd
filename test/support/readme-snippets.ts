/**
 * The README's checked snippets: ```ts blocks whose code computes `out` and whose last line states what
 * `out` holds, `// out → <value>` (each batch compared as a multiset, for outputs of shuffles) or
 * `// out = <value>` (compared exactly, order included). The doc test runs every one of them, so the
 * README cannot drift from what the engine does.
 */
import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';

export interface Snippet {
  /** The heading the snippet sits under, to name its test. */
  heading: string;
  line: number;
  code: string;
  expected: string;
  exact: boolean;
}

const EXPECTATION = /^\/\/ out (→|=) (.+)$/;

export function checkedSnippets(markdownPath: string): Snippet[] {
  const lines = readFileSync(markdownPath, 'utf8').split('\n');
  const snippets: Snippet[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('#')) heading = lines[i].replace(/^#+\s*/, '');
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    const body = lines.slice(start, end);
    i = end;
    const last = body.length > 0 ? EXPECTATION.exec(body[body.length - 1].trim()) : null;
    if (!last) continue;
    snippets.push({
      heading,
      line: start + 1,
      code: body.slice(0, -1).join('\n'),
      expected: last[2],
      exact: last[1] === '=',
    });
  }
  return snippets;
}

/** Runs a snippet with `scope` (the package's exports, test helpers) in place of its imports; returns `out`. */
export async function runSnippet(snippet: Snippet, scope: Record<string, unknown>): Promise<unknown> {
  // Imports name the package the way a user's job does; the scope already holds everything they import.
  const body = snippet.code.replace(/^import [^;]+;$/gm, '');
  const { code } = transformSync(`(async () => {\n${body}\nreturn out;\n})()`, {
    loader: 'ts',
    target: 'node20',
  });
  const names = Object.keys(scope);
  const run = new Function(...names, `return ${code.trim().replace(/;$/, '')};`);
  return run(...names.map((name) => scope[name]));
}

/** The snippet's stated value. */
export function expectedValue(snippet: Snippet): unknown {
  return new Function(`return (${snippet.expected});`)();
}
