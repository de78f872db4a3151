/** Pure pieces of the SOPS format: Go's float and time formatting, key parsing, and our document's shape. */
import { describe, expect, test } from 'vitest';
import { parseIdentities, parseRecipients } from '../sops/age-keys.ts';
import { goFloat, rfc3339 } from '../sops/decrypt.ts';
import { encryptVaultValue, sopsTimestamp } from '../sops/encrypt.ts';
import { parseSopsDocument } from '../sops/tree.ts';

describe('Go formatting that the MAC depends on', () => {
  test.each([
    [7, '7'],
    [3.14, '3.14'],
    [-0.5, '-0.5'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [123456789.125, '123456789.125'],
  ])('goFloat(%s) is strconv.FormatFloat(v, f, -1, 64) = %s', (n, s) => {
    expect(goFloat(n)).toBe(s);
  });

  test('lastmodified is normalised as Go prints time.RFC3339', () => {
    expect(rfc3339('2024-03-25T22:08:10Z')).toBe('2024-03-25T22:08:10Z');
    expect(rfc3339('2024-03-25T22:08:10.123Z')).toBe('2024-03-25T22:08:10Z');
    expect(rfc3339('2024-03-25T22:08:10+00:00')).toBe('2024-03-25T22:08:10Z');
    expect(rfc3339('2024-03-25T22:08:10+02:00')).toBe('2024-03-25T22:08:10+02:00');
    expect(sopsTimestamp(new Date('2024-01-02T03:04:05.678Z'))).toBe('2024-01-02T03:04:05Z');
  });
});

describe('keys', () => {
  test('recipients are split on commas and spaces; a bad one is named', () => {
    const r = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
    expect(parseRecipients(` ${r} ,${r}\n`)).toEqual({ ok: true, value: [r, r] });
    expect(parseRecipients('age1nope')).toMatchObject({ ok: false, message: expect.stringContaining('"age1nope"') });
    expect(parseRecipients(' , ')).toMatchObject({ ok: false });
  });

  test('identity text: comments allowed, anything else refused without being echoed', () => {
    const id = 'AGE-SECRET-KEY-1QXRVEJH9S4NQU0FPD6V79ESZQ8S6PXH3L8V40EVPTHFH6KNKD4DQ7SKC4P';
    expect(parseIdentities(`# created: now\n${id}\n`)).toEqual({ ok: true, value: [id] });
    const bad = parseIdentities(`${id}\nsomething-secret-looking`);
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).not.toContain('something-secret-looking');
  });
});

describe('documents', () => {
  test('our document parses back with its metadata, one age stanza per recipient', async () => {
    const r = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
    const text = await encryptVaultValue('v', [r, r], new Date('2024-01-02T03:04:05Z'));
    const p = parseSopsDocument(text, 'json');
    expect(p.ok && p.doc.meta).toMatchObject({ lastmodified: '2024-01-02T03:04:05Z', unencrypted_suffix: '_unencrypted', hasKeyGroups: false });
    expect(p.ok && p.doc.meta.age.map((a) => a.recipient)).toEqual([r, r]);
    expect(p.ok && p.doc.data.entries.map(([k]) => k)).toEqual(['value']);
  });

  test('a document without sops metadata, or not JSON, is refused with a message free of its content', () => {
    expect(parseSopsDocument('{"value":"SECRETISH"}', 'json')).toMatchObject({ ok: false, message: expect.stringContaining('no sops metadata') });
    const bad = parseSopsDocument('{"value":"SECRETISH"', 'json');
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).not.toContain('SECRETISH');
    const yaml = parseSopsDocument('value: [SECRETISH', 'yaml');
    expect(yaml.ok).toBe(false);
    expect(JSON.stringify(yaml)).not.toContain('SECRETISH');
  });
});
