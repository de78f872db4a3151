/**
 * The forms a key value commonly takes on its way out of a process, so redaction catches them as
 * well as the value itself (defence in depth: review and the approval gate are what keep hostile
 * code away from keys; this catches the careless and the lazy). Pure.
 *
 * Covered: base64 and base64url (with and without padding), hex (lower and upper case), and
 * URL encoding (encodeURIComponent, and form encoding with `+` for spaces, each with upper- and
 * lower-case percent escapes). Base64 also in the middle of a longer encoded text
 * (`base64("Bearer " + key)`): the value's bytes then start at any of three offsets, and the
 * characters that encode only the value's bytes are the same whatever surrounds it, so those
 * cores are redacted too, when long enough not to match by chance.
 */

/** A base64 core shorter than this is not redacted on its own: it could occur in other text. */
const MIN_CORE_CHARS = 12;

const b64 = (bytes: Buffer) => bytes.toString('base64');
const b64url = (bytes: Buffer) => bytes.toString('base64url');
const unpadded = (s: string) => s.replace(/=+$/, '');
const lowerPercent = (s: string) => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());

/** Every encoded form of `value` worth redacting, the value itself excluded; no duplicates, none empty. */
export function keyEncodings(value: string): string[] {
  if (value.length === 0) return [];
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>();
  const std = b64(bytes);
  const url = b64url(bytes);
  forms.add(std).add(unpadded(std)).add(url).add(`${url}${'='.repeat((4 - (url.length % 4)) % 4)}`);
  forms.add(bytes.toString('hex')).add(bytes.toString('hex').toUpperCase());
  const component = encodeURIComponent(value);
  const form = new URLSearchParams([['', value]]).toString().slice(1);
  for (const s of [component, form]) forms.add(s).add(lowerPercent(s));
  for (const core of base64Cores(bytes)) forms.add(core);
  forms.delete(value);
  forms.delete('');
  return [...forms];
}

/**
 * For each offset (0, 1, 2 bytes before the value in the encoded text), the base64 and base64url
 * characters that depend on the value's bytes alone: whole 3-byte groups inside the value.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const lead = (3 - offset) % 3; // bytes of the value that share a group with what precedes it
    const whole = Math.floor((bytes.length - lead) / 3) * 3;
    if (whole <= 0) continue;
    const inner = bytes.subarray(lead, lead + whole);
    for (const core of [b64(inner), b64url(inner)]) if (core.length >= MIN_CORE_CHARS) cores.push(core);
  }
  return cores;
}
