/** Redaction catches a key value's common encodings too: defence in depth, not the boundary. */
import { describe, expect, it } from 'vitest';
import { keyEncodings } from '../key-encodings.ts';
import { SecretValues } from '../secrets.ts';
import { encodingsOf } from './helpers.ts';

const KEY = 'sk_live_Ab3+/ z?&=é~canary-7f3c9e1d';

describe('keyEncodings', () => {
  it('holds every common encoding of the value, never the value itself or an empty string', () => {
    const forms = keyEncodings(KEY);
    for (const [name, encoded] of Object.entries(encodingsOf(KEY))) expect(forms, name).toContain(encoded);
    expect(forms).not.toContain(KEY);
    expect(forms).not.toContain('');
    expect(new Set(forms).size).toBe(forms.length);
  });
});

describe('SecretValues.redact', () => {
  const secrets = new SecretValues({ PROVIDER_X_API_KEY: KEY });

  it('redacts the value and each encoding of it, alone and inside other text', () => {
    for (const [name, encoded] of Object.entries(encodingsOf(KEY))) {
      expect(secrets.redact(`before ${encoded} after`), name).toBe('before [redacted] after');
    }
    expect(secrets.redact(`x${KEY}y`)).toBe('x[redacted]y');
  });

  it('redacts the key inside a longer base64 text at every alignment (base64 of "Bearer " + key, JSON, ...)', () => {
    for (const prefix of ['', 'a', 'ab', 'Bearer ', '{"token":"']) {
      for (const encode of [(b: Buffer) => b.toString('base64'), (b: Buffer) => b.toString('base64url')]) {
        const whole = encode(Buffer.from(`${prefix}${KEY}"}`));
        const out = secrets.redact(whole);
        expect(out, prefix).toContain('[redacted]');
        // At most two bytes of the key's edges can survive, in the characters shared with its neighbours.
        expect(out.replace('[redacted]', '').length, prefix).toBeLessThan(whole.length - 30);
      }
    }
  });

  it('leaves text without the key alone, and short values add no loose base64 fragments', () => {
    expect(secrets.redact('nothing to see: aGVsbG8gd29ybGQ=')).toBe('nothing to see: aGVsbG8gd29ybGQ=');
    const short = keyEncodings('abc12');
    expect(short.every((f) => f.length >= 5)).toBe(true);
    expect(short).not.toContain('YWJj'); // the 3-byte core of "abc" is too short to redact on its own
  });
});
