import { ConfigError } from '../util/errors';

/** Turns one record's bytes into a value; throws when the bytes are not readable (the record is dead-lettered). */
export type RecordDecoder<T> = (data: Uint8Array) => T;

export type DecoderName = 'utf8' | 'json' | 'bytes';

// fatal: invalid UTF-8 must fail the record instead of turning into U+FFFD silently.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export const utf8: RecordDecoder<string> = (data) => strictUtf8.decode(data);

export const json: RecordDecoder<unknown> = (data) => JSON.parse(utf8(data));

/** A copy, so the value does not pin (or share) the SDK's response buffer. */
export const bytes: RecordDecoder<Uint8Array> = (data) => new Uint8Array(data);

const builtIn: Record<DecoderName, RecordDecoder<unknown>> = { utf8, json, bytes };

export function decoderFor<T>(decoder: DecoderName | RecordDecoder<T>): RecordDecoder<T> {
  if (typeof decoder === 'function') return decoder;
  if (typeof decoder === 'string' && Object.hasOwn(builtIn, decoder)) {
    return builtIn[decoder] as RecordDecoder<T>;
  }
  throw new ConfigError(
    `unknown record decoder ${JSON.stringify(decoder)}: use 'utf8', 'json', 'bytes' or a function (data: Uint8Array) => value`,
    { decoder: String(decoder) },
  );
}
