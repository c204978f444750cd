import { SluiceError } from '../util/errors';

/** Base of errors the command line reports: one line, an optional hint, and an exit code. */
export class CliError extends SluiceError {
  /** 1: the command failed; 2: it was called wrongly. */
  readonly exitCode: number = 1;
  readonly hint?: string;

  constructor(
    message: string,
    options: { hint?: string; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.context ?? {}, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }
}

/** The command was called wrongly (unknown flag, bad value): exit 2, as for an unknown command. */
export class UsageError extends CliError {
  override readonly exitCode = 2;
}

/** The job has nothing to show yet (no job record or no manifest in the store). */
export class NothingToShowError extends CliError {}
