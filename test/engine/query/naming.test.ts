import { type Pair, StreamingContext } from '../../../src/engine';
import { InvalidGraphError } from '../../../src/engine/graph';

function context(): StreamingContext {
  return new StreamingContext({ batchInterval: 1000, name: 'naming' });
}

describe('stream.named', () => {
  it('returns the stream itself, so a mapWithState stream keeps stateSnapshots()', () => {
    const ssc = context();
    const pairs = ssc.queueStream<Pair<string, number>>([]);
    const sessions = pairs.mapWithState<string, number, number, number>((_k, v) => v);
    expect(sessions.named('sessions')).toBe(sessions);
    expect(typeof sessions.named('sessions').stateSnapshots).toBe('function');
    expect(ssc.graph.streamNamed('sessions')).toBe(sessions.node);
  });

  it('lets the graph list and find streams by name', () => {
    const ssc = context();
    const lines = ssc.queueStream<string>([]).named('lines');
    const words = lines.flatMap((l) => l.split(' ')).named('words');
    expect(ssc.graph.streamNames).toEqual(['lines', 'words']);
    expect(ssc.graph.streamNamed('words')).toBe(words.node);
    expect(ssc.graph.streamNamed('nope')).toBeUndefined();
  });

  it('refuses a name already used by another stream of the job', () => {
    const ssc = context();
    const lines = ssc.queueStream<string>([]).named('lines');
    expect(() => lines.map((l) => l).named('lines')).toThrow(InvalidGraphError);
    expect(() => lines.map((l) => l).named('lines')).toThrow(
      /stream name 'lines' is already used by input 'queue-0' \(stream 0\) in job 'naming'; names must be unique within a job/,
    );
  });

  it('refuses a second name for one stream, and accepts the same name again', () => {
    const ssc = context();
    const lines = ssc.queueStream<string>([]).named('lines');
    expect(lines.named('lines')).toBe(lines);
    expect(() => lines.named('text')).toThrow(/is already named 'lines'; a stream has one name/);
  });

  it.each(['', 'has space', '-dash-first', 'a/b', 'ünï'])('refuses the name %j', (name) => {
    const lines = context().queueStream<string>([]);
    expect(() => lines.named(name)).toThrow(/must be letters, digits, '.', '_' or '-'/);
  });
});
