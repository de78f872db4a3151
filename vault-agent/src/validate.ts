/**
 * Pure validation of key names and PUT bodies, done before anything touches the disk. Messages say
 * what is wrong and what to do, and never quote the name or the value: a value pasted into the wrong
 * field must not end up in a response or a log.
 */
import { agentError, type AgentError } from './errors.ts';

/** Key names: an upper-case letter, then upper-case letters, digits or underscores; 128 at most. */
export const NAME_PATTERN = /^[A-Z][A-Z0-9_]{0,127}$/;
/** Largest value in UTF-8 bytes. */
export const MAX_VALUE_BYTES = 65536;
/**
 * Largest request body: a maximal value with JSON escaping (a character can take up to 6 bytes,
 * e.g. \u001f) plus the envelope. Anything bigger is refused while streaming.
 */
export const MAX_BODY_BYTES = MAX_VALUE_BYTES * 6 + 1024;

// In a /u regex a surrogate range matches only unpaired halves, which UTF-8 cannot encode.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: AgentError };

/** Checks a key name taken from the request path (still percent-encoded, so `%2F` is refused). */
export function checkName(raw: string): Checked<string> {
  if (NAME_PATTERN.test(raw)) return { ok: true, value: raw };
  return {
    ok: false,
    error: agentError(
      'invalid_name',
      'The key name is not valid: use 1 to 128 characters, an upper-case letter A-Z first, then A-Z, 0-9 or _ (for example PROVIDER_SHOPIFY_API_KEY).',
    ),
  };
}

/** Checks the Content-Type header: JSON only (`application/json`, optionally with a UTF-8 charset). */
export function checkContentType(header: string | undefined): Checked<true> {
  const [type, ...params] = (header ?? '').split(';').map((s) => s.trim().toLowerCase());
  const charsetOk = params.every((p) => !p.startsWith('charset=') || p === 'charset=utf-8' || p === 'charset="utf-8"');
  if (type === 'application/json' && charsetOk) return { ok: true, value: true };
  return {
    ok: false,
    error: agentError('unsupported_media_type', 'Send the body as JSON with the header Content-Type: application/json.'),
  };
}

/** Parses and checks a PUT body: exactly `{"value": "<string>"}` with a valid value. */
export function checkPutBody(body: Buffer): Checked<string> {
  if (body.length > MAX_BODY_BYTES) return tooLarge();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return invalid('invalid_body', 'The body is not valid UTF-8. Send {"value":"..."} encoded as UTF-8.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalid('invalid_json', 'The body is not valid JSON. Send {"value":"..."}.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return invalid('invalid_body', 'The body must be a JSON object {"value":"..."}.');
  }
  const keys = Object.keys(parsed);
  if (keys.length !== 1 || keys[0] !== 'value') {
    return invalid('invalid_body', 'The body must have exactly one field, "value" (no other fields are accepted).');
  }
  return checkValue((parsed as { value: unknown }).value);
}

/** Checks a value: a string of 1..65536 UTF-8 bytes, no NUL, no leading or trailing whitespace. */
export function checkValue(value: unknown): Checked<string> {
  if (typeof value !== 'string') return invalid('invalid_value', 'The value must be a JSON string.');
  if (value.length === 0) return invalid('invalid_value', 'The value is empty. Paste the whole key.');
  if (LONE_SURROGATE.test(value)) return invalid('invalid_value', 'The value contains an unpaired surrogate and is not valid UTF-8 text.');
  if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) return tooLarge();
  if (value.includes('\0')) return invalid('invalid_value', 'The value contains a NUL character, which keys never do. Check what was pasted.');
  if (/^\s|\s$/u.test(value)) {
    return invalid(
      'invalid_value',
      'The value starts or ends with whitespace (a space, tab or line break). It is refused rather than trimmed: remove it and send again.',
    );
  }
  return { ok: true, value };
}

function tooLarge(): Checked<never> {
  return invalid('too_large', `The value is larger than ${MAX_VALUE_BYTES} bytes of UTF-8.`);
}

function invalid(code: Parameters<typeof agentError>[0], message: string): Checked<never> {
  return { ok: false, error: agentError(code, message) };
}
