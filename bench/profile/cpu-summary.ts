/** Reads a V8 .cpuprofile and lists where self time went, by function and by file. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export function summarizeCpuProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${basename(url)}:${lineNumber + 1}` : '(native)';
    const name = `${functionName || '(anonymous)'} ${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const fileName = url ? basename(url) : functionName || '(native)';
    byFile.set(fileName, (byFile.get(fileName) ?? 0) + hits);
  }
  const lines = [`${basename(file)}: ${total} samples`];
  const list = (title: string, entries: Map<string, number>, n: number) => {
    lines.push(`  ${title}`);
    for (const [name, hits] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, n)) {
      lines.push(`    ${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`);
    }
  };
  list('self time by function', byFunction, top);
  list('self time by file', byFile, 12);
  return lines.join('\n');
}
