/**
 * `sluice`: run, watch and operate jobs. Errors are one line with a hint; exit codes: 0 done, 1 the
 * command failed, 2 it was called wrongly (the help of that command follows).
 */
import { Command, CommanderError } from 'commander';
import { batchCommand } from './commands/batch';
import { deadLettersCommand } from './commands/deadletters';
import { deployCommand } from './commands/deploy';
import { queryCommand } from './commands/query';
import { runCommand } from './commands/run';
import { scriptCommands } from './commands/scripts';
import { statusCommand } from './commands/status';
import { uiCommand } from './commands/ui';
import { CliError } from './errors';

export function buildProgram(print: (text: string) => void): Command {
  const program = new Command('sluice')
    .description('discretized streams on serverless functions: run, watch and operate sluice jobs')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
    });
  runCommand(program, print);
  statusCommand(program, print);
  batchCommand(program, print);
  queryCommand(program, print);
  deadLettersCommand(program, print);
  uiCommand(program, print);
  scriptCommands(program);
  deployCommand(program);
  return program;
}

/** Runs the command line and returns the exit code. */
export async function main(
  argv: string[],
  print: (text: string) => void = (text) => process.stdout.write(`${text}\n`),
): Promise<number> {
  const program = buildProgram(print);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; commander already printed what went wrong and the help.
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return 0;
      return 2;
    }
    if (error instanceof CliError) {
      process.stderr.write(`sluice: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      return error.exitCode;
    }
    // One line, whatever the message: programs read the first line, people read one line.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`sluice: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
