import { InvalidGraphError } from '../graph';
import type { DStream } from './dstream-base';

/** Stream names follow job names: they appear in commands (`npm run query -- <job> <stream>`) and logs. */
const STREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Names that let code outside the job (a snapshot query) find a stream. */
export class NamingOperations {
  /**
   * Names this stream so that `snapshot(job, name)` and `npm run query -- <job> <name>` can read its
   * committed batches. Names are unique within a job; the stream itself is returned.
   */
  named<S extends DStream<unknown>>(this: S, name: string): S {
    if (typeof name !== 'string' || !STREAM_NAME.test(name)) {
      throw new InvalidGraphError(
        `stream name '${String(name)}' must be letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. 'sessions')`,
        { name },
      );
    }
    const node = this.node;
    if (node.queryName === name) return this;
    if (node.queryName !== undefined) {
      throw new InvalidGraphError(
        `${node.describe()} is already named '${node.queryName}'; a stream has one name (use map(x => x) for a second stream)`,
        { name, existing: node.queryName },
      );
    }
    const other = this.context.graph.streamNamed(name);
    if (other) {
      throw new InvalidGraphError(
        `stream name '${name}' is already used by ${other.describe()} in job '${this.context.name}'; names must be unique within a job`,
        { name, stream: other.id },
      );
    }
    node.queryName = name;
    return this;
  }
}
