/**
 * `plan --json` and `sync --json`: the plan, every change with the rows it writes, printed as
 * JSON.stringify(value, null, 2) prints it (terminal-safe: terminalJson), but a piece at a time.
 * Made at once, a cold sync of 100,000 connectors is a string of about a gigabyte (each change
 * carries its manifest and child rows), past the longest string V8 makes; in pieces, one
 * change's JSON is made, written and dropped at a time, and a change's rows are made only then
 * (plan.ts).
 */
import { terminalJson } from '../validate/terminal-text.ts';

/** Containers this deep (the result, the plan, its lists of changes) are written member by member; deeper values whole. */
const STREAMED_DEPTH = 3;

/**
 * Writes `value` through `write`, in pieces whose concatenation is terminalJson(value, 2): pieces
 * of about `pieceChars` characters (default a million), a change's JSON whole in one of them.
 */
export function writeJson(value: unknown, write: (text: string) => void, pieceChars = 1 << 20): void {
  let pending: string[] = [];
  let size = 0;
  const flush = () => {
    if (pending.length > 0) write(pending.join(''));
    pending = [];
    size = 0;
  };
  piece(value, 0, (text) => {
    pending.push(text);
    size += text.length;
    if (size >= pieceChars) flush();
  });
  flush();
}

/** writeJson and a newline: what printJson prints, for a plan or a sync's result. */
export function writeJsonLine(value: unknown, write: (text: string) => void): void {
  writeJson(value, write);
  write('\n');
}

function piece(value: unknown, depth: number, write: (text: string) => void): void {
  const container = value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
  if (!container || depth >= STREAMED_DEPTH) {
    // Nested lines indented to where the value sits (JSON strings hold no raw newline).
    write(terminalJson(value, 2).replace(/\n/g, `\n${'  '.repeat(depth)}`));
    return;
  }
  const inner = `\n${'  '.repeat(depth + 1)}`;
  const outer = `\n${'  '.repeat(depth)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return write('[]');
    value.forEach((item, i) => {
      write(i === 0 ? `[${inner}` : `,${inner}`);
      // As JSON.stringify writes them: what JSON cannot hold is null in an array.
      piece(absent(item) ? null : item, depth + 1, write);
    });
    return write(`${outer}]`);
  }
  let first = true;
  for (const [k, v] of Object.entries(value)) {
    if (absent(v)) continue;
    write(`${first ? '{' : ','}${inner}${terminalJson(k)}: `);
    first = false;
    piece(v, depth + 1, write);
  }
  write(first ? '{}' : `${outer}}`);
}

/** What JSON.stringify leaves out of an object. */
function absent(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}
