/**
 * Markdown building blocks for the PR comment and the job summary.
 *
 * Everything a manifest author wrote (slugs, names, labels, descriptions, validator messages that
 * quote them) is data: it must not render as an image or a link, ping a person or a team, link an
 * issue, inject HTML, break a table or forge the comment marker. So every such value goes through
 * `code()`: a code span, whose content GitHub shows literally. Markdown, HTML and entities are not
 * parsed inside a code span (CommonMark 6.1), and GitHub's mention, team, issue and commit
 * reference filters skip text inside `code` elements (html-pipeline's MentionFilter and its
 * siblings: IGNORE_PARENTS = pre code a style script). Our own sentences are written inline.
 */
import { escapeControl } from '../validate/terminal-text.ts';

/** The longest run of backticks in `text` (0 when there is none). */
function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

/**
 * `value` as a code span that shows it exactly, control and bidi characters escaped (so it stays
 * on one line and reads as what the file holds). The fence is one backtick longer than the longest
 * run inside, and the content is padded with a space when it starts or ends with a backtick (or
 * with a space on both ends), because CommonMark strips one such space from each side.
 * Outside a table only; `table()` escapes the pipes of cells.
 */
export function code(value: string): string {
  const content = escapeControl(value);
  if (content === '') return '*(empty)*';
  const fence = '`'.repeat(longestBacktickRun(content) + 1);
  const bothSpaces = content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '';
  const pad = content.startsWith('`') || content.endsWith('`') || bothSpaces ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}

/**
 * One table cell. A GFM table splits a row at every unescaped `|`, inside code spans too, and
 * takes `\|` back to `|` before it parses the cell's inlines; so every pipe is escaped here and a
 * code span in the cell still shows its pipes. A line break would end the row: cells are one line.
 */
function cell(content: string): string {
  return content.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
}

/** A GitHub-flavoured markdown table of cells built from `code()` and our own words. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
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
