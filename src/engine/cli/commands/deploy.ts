import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors';

const ROOT = resolve(__dirname, '../../../..');

export function deployCommand(program: Command): void {
  program
    .command('deploy')
    .description('deploy the coordinator and task functions with the Serverless Framework (serverless.yml)')
    .option('--stage <stage>', 'the stage to deploy (serverless --stage)', 'dev')
    .option('--region <region>', 'the AWS region (default: the provider region in serverless.yml)')
    .option(
      '--param <name=value...>',
      'stage parameters, e.g. jobs=wordcount,clicks streams=orders,arn:aws:kinesis:...',
    )
    .action(async (flags: { stage: string; region?: string; param?: string[] }) => {
      const args = ['deploy', '--stage', flags.stage];
      if (flags.region) args.push('--region', flags.region);
      for (const param of flags.param ?? []) args.push(`--param=${param}`);
      const serverless = resolve(ROOT, 'node_modules/serverless/bin/serverless.js');
      const code = await new Promise<number>((done, fail) => {
        const child = spawn(process.execPath, [serverless, ...args], { cwd: ROOT, stdio: 'inherit' });
        child.on('error', fail);
        child.on('exit', (exit) => done(exit ?? 1));
      });
      if (code !== 0) throw new CliError(`serverless deploy exited with code ${code}`);
    });
}
