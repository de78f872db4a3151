/**
 * `npm start --operator NAME`: the name every registry event the site writes records. It is shown
 * on pages and in terminals, so only printable text of at most 64 characters is taken.
 */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { MAX_OPERATOR_NAME, checkOperatorName, osOperatorName } from '../../cli/operator-name.ts';

describe('operator name', () => {
  it('takes printable names, spaces, punctuation and any script, up to 64 characters', () => {
    for (const name of ['alice', 'Loop Operator', 'ops@example.com', 'Zoë Ω', 'оператор', '山田', 'x'.repeat(MAX_OPERATOR_NAME), '🦊'.repeat(MAX_OPERATOR_NAME)]) {
      expect(checkOperatorName(name)).toEqual({ ok: true, name });
    }
  });

  it('refuses a blank name', () => {
    for (const name of ['', '   ']) expect(checkOperatorName(name)).toMatchObject({ ok: false, message: expect.stringContaining('needs a name') });
  });

  it('refuses more than 64 characters, saying how many', () => {
    expect(checkOperatorName('x'.repeat(65))).toMatchObject({ ok: false, message: expect.stringContaining('at most 64 characters, got 65') });
  });

  it('refuses control, bidi/format and line-separator characters (terminal escapes, spoofed text)', () => {
    for (const name of ['evil\x1b[2K\r✓ fine', 'tab\tname', 'nul\0', 'del\x7f', 'c1\x9b31m', 'rtl\u202Eeman', 'zero\u200Bwidth', 'line\u2028sep', 'new\nline']) {
      expect(checkOperatorName(name), JSON.stringify(name)).toMatchObject({ ok: false, message: expect.stringContaining('printable') });
    }
  });

  it('defaults to the OS user running npm start', () => {
    expect(osOperatorName()).toBe(os.userInfo().username);
  });
});
