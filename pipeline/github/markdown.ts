/**
 * Markdown building blocks for the PR comment and the job summary.
 *
 * Everything a manifest author wrote (names, labels, descriptions, validator messages quoting
 * them) is untrusted: it must not inject HTML, hide text, break a table or forge the comment
 * marker, so every value goes through `text()` or `code()`.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Text never becomes a tag or an entity; quotes are harmless outside attributes, so they stay readable. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>]/g, (c) => HTML_ESCAPES[c]!);
}

/** Plain text: HTML-escaped, markdown punctuation backslash-escaped, on one line. */
export function text(value: string): string {
  return escapeHtml(value.replace(/\s+/g, ' ').trim()).replace(/[\\`*_[\]|#~!]/g, (c) => `\\${c}`);
}

/** An identifier (scope, key, slug, path) in monospace; safe inside a table cell. */
export function code(value: string): string {
  return `<code>${escapeHtml(value).replace(/\|/g, '&#124;').replace(/\s+/g, ' ')}</code>`;
}

/** A GitHub-flavoured markdown table; cells must already be escaped. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `1 error`, `2 errors`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** At most `max` items, and how many were left out. */
export function limit<T>(items: T[], max: number): { shown: T[]; hidden: number } {
  return { shown: items.slice(0, max), hidden: Math.max(0, items.length - max) };
}

/** The line under a truncated list, or nothing. */
export function hiddenNote(hidden: number, where: string): string[] {
  return hidden > 0 ? [`_…and ${hidden} more ${where}._`] : [];
}

/** `+2 −1 ~3`, leaving out zeros; `–` when nothing changes. */
export function delta(added: number, removed: number, changed = 0): string {
  const parts = [added ? `+${added}` : '', removed ? `−${removed}` : '', changed ? `~${changed}` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : '–';
}
