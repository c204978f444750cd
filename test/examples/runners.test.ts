import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');

function run(script: string, args: string[]) {
  const result = spawnSync(tsx, [resolve(root, script), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.each([
  ['examples/demo.ts', 'npm start --'],
  ['examples/run-example.ts', 'npm run example:<name> --'],
])('%s', (script, usage) => {
  it('prints its usage for --help and exits 0', () => {
    const { status, stdout } = run(script, ['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain(`Usage: ${usage}`);
    expect(stdout).toContain('--duration <seconds>');
  });

  it('names an unknown flag, prints the usage and exits 2 without a stack trace', () => {
    const { status, stderr } = run(script, ['--no-such-flag']);
    expect(status).toBe(2);
    expect(stderr).toContain("Unknown option '--no-such-flag'");
    expect(stderr).toContain('Usage:');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
