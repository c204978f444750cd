/** Root of every error sluice throws; each layer derives its own base from it. */
export class SluiceError extends Error {
  readonly context: Record<string, unknown>;

  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** A value the user passed (duration, partition count, option) is not acceptable. */
export class ConfigError extends SluiceError {}

/** Plain-data form of an error, for crossing a thread or a Lambda boundary. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  context?: Record<string, unknown>;
  cause?: SerializedError;
}

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  // A RemoteError forwarded again keeps the name it had where it was first thrown.
  const name = error instanceof RemoteError ? error.remoteName : error.name;
  const out: SerializedError = { name, message: error.message, stack: error.stack };
  if (error instanceof SluiceError) out.context = jsonSafe(error.context);
  if (error.cause !== undefined && depth < 5) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

/** An error rebuilt on the receiving side of a boundary, keeping the remote name and stack. */
export class RemoteError extends SluiceError {
  readonly remoteName: string;

  constructor(serialized: SerializedError) {
    super(
      serialized.message,
      serialized.context ?? {},
      serialized.cause ? { cause: new RemoteError(serialized.cause) } : undefined,
    );
    this.remoteName = serialized.name;
    if (serialized.stack) this.stack = serialized.stack;
  }
}

function jsonSafe(value: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return {};
  }
}
