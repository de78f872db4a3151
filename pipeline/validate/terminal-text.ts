/**
 * Text from a manifest (or a file name, or a command-line argument) is data, never terminal
 * control: a field named `\x1b[2K\r✓ all good` must not erase an error line and print a fake
 * success, and a bidi override must not make `evil` read as `live`. These helpers show such
 * characters escaped, so what reaches a terminal is exactly what the file holds, made visible.
 *
 * Escaped: C0 controls (U+0000-U+001F, newline and tab included: output is line-oriented), DEL,
 * C1 controls (U+0080-U+009F, which some terminals read as ESC sequences), the bidi embeddings,
 * overrides and isolates (U+202A-U+202E, U+2066-U+2069), the invisible direction marks
 * (U+200E, U+200F, U+061C) and the line and paragraph separators (U+2028, U+2029).
 */

/** Every character escapeControl rewrites (global, so `replace` sees them all). */
export const UNSAFE_TERMINAL_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');

/** `\x1b` for C0, DEL and C1 controls; `\u202e` for the others. Everything else is unchanged. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE_TERMINAL_CHARS, (c) => (c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** True when `text` holds a character that escapeControl would rewrite. */
export function hasUnsafeTerminalChars(text: string): boolean {
  UNSAFE_TERMINAL_CHARS.lastIndex = 0;
  return UNSAFE_TERMINAL_CHARS.test(text);
}

/** What JSON.stringify leaves raw: DEL, C1 and the non-ASCII characters above (it escapes C0 itself). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON for a terminal: JSON.stringify escapes C0 controls inside strings but prints DEL, C1
 * controls and bidi characters raw. Outside strings JSON is ASCII (its only controls are the
 * indentation's newlines), so each such character is inside a string and its `\uXXXX` form is the
 * same JSON value.
 */
export function terminalJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}

/** Manifest text quoted in a message: at most `max` characters, so a hostile value cannot flood the output. */
export function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
