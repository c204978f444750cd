import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors';

/** Commands that run one of the repository's measuring programs, passing their flags through. */
const SCRIPTS: Record<string, { script: string; description: string }> = {
  bench: {
    script: 'bench/run.ts',
    description:
      "the paper's Grep, WordCount and TopK at their highest sustainable rate (--quick, --trials n, --help)",
  },
  chaos: {
    script: 'bench/chaos.ts',
    description:
      'a windowed, stateful job under injected faults, checked against a fault-free reference (--seeds, --batches, --path aws)',
  },
  cost: {
    script: 'bench/cost.ts',
    description: 'the AWS requests a job makes per batch, priced as a monthly bill beside Managed Flink',
  },
};

const ROOT = resolve(__dirname, '../../../..');

export function scriptCommands(program: Command): void {
  for (const [name, { script, description }] of Object.entries(SCRIPTS)) {
    program
      .command(name)
      .description(description)
      .allowUnknownOption()
      .helpOption(false)
      .argument('[flags...]', `flags of ${script}`)
      .action(async (flags: string[]) => {
        const code = await runScript(resolve(ROOT, script), flags);
        if (code !== 0) throw new CliError(`${name} exited with code ${code}`, { context: { code } });
      });
  }
}

function runScript(script: string, args: string[]): Promise<number> {
  const tsx = resolve(ROOT, 'node_modules/tsx/dist/cli.mjs');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [tsx, script, ...args], { stdio: 'inherit' });
    child.on('error', fail);
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}
