import { InvalidTaskSpecError, parseTaskSpec } from '../../../src/engine/exec';

/** The error parseTaskSpec throws for `input`; fails the test when it accepts it. */
export function rejection(input: unknown): InvalidTaskSpecError {
  try {
    parseTaskSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTaskSpecError);
    return error as InvalidTaskSpecError;
  }
  throw new Error(`parseTaskSpec accepted ${JSON.stringify(input)}`);
}
