/**
 * The operator's name, as every registry event the God Config site writes records it: the OS user
 * running `npm start`, or `--operator NAME`. A name is shown on pages and in terminals, so it must
 * be printable text: no control, format (bidi) or separator characters, at most 64 characters.
 */
import os from 'node:os';

export const MAX_OPERATOR_NAME = 64;

export function checkOperatorName(name: string): { ok: true; name: string } | { ok: false; message: string } {
  const length = [...name].length;
  if (name.trim() === '') return { ok: false, message: '--operator needs a name (e.g. --operator alice).' };
  if (length > MAX_OPERATOR_NAME) {
    return { ok: false, message: `--operator must be at most ${MAX_OPERATOR_NAME} characters, got ${length}. Use a shorter name.` };
  }
  if (/[\p{C}\p{Zl}\p{Zp}]/u.test(name)) {
    return { ok: false, message: '--operator must be printable text: it holds a control, format or line-separator character. Use letters, digits, spaces and punctuation.' };
  }
  return { ok: true, name };
}

/** The OS user running this process; `operator` when the system cannot name it (no passwd entry). */
export function osOperatorName(): string {
  try {
    return os.userInfo().username || 'operator';
  } catch {
    return process.env.USER || 'operator';
  }
}
