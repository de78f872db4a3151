/**
 * What changed in a connector's files since approval, for the operator reviewing a `changed`
 * connector: which files were added, removed or modified, and a line diff of the small text files
 * whose text the registry keeps. Pure and bounded: a diff that would cost too much is not computed
 * (the page says so), and what is shown is capped, so no file can make a page slow or huge.
 */

export type FileChangeKind = 'added' | 'removed' | 'modified';

/** One side of a changed file, as the registry remembers it (text only for small source files). */
export interface FileSide {
  sha256: string;
  size: number;
  text: string | null;
}

export interface FileChange {
  path: string;
  kind: FileChangeKind;
  before: FileSide | null;
  after: FileSide | null;
}

export type DiffLine = { op: ' ' | '-' | '+'; text: string; oldNo: number | null; newNo: number | null };

export interface Hunk {
  /** `@@ -12,7 +12,8 @@` */
  header: string;
  lines: DiffLine[];
}

export type FileDiff =
  | { kind: 'lines'; hunks: Hunk[]; added: number; removed: number; clipped: number }
  | { kind: 'no_text'; why: string }
  | { kind: 'too_large'; oldLines: number; newLines: number };

/** Context lines around each change. */
const CONTEXT = 3;
/** The LCS table may have at most this many cells (after common lines at both ends are set aside). */
export const MAX_DIFF_CELLS = 4_000_000;
/** At most this many diff lines are shown per file; the rest is counted. */
export const MAX_SHOWN_LINES = 1500;

const splitLines = (text: string): string[] => {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
};

/** The line diff of one changed file, or why there is none. */
export function diffFile(change: FileChange): FileDiff {
  const before = change.before;
  const after = change.after;
  if ((before && before.text === null) || (after && after.text === null)) {
    return { kind: 'no_text', why: 'no text is kept for this file (binary, over 64 KiB, or not a source or document file), so only its hash and size are compared' };
  }
  return diffLines(splitLines(before?.text ?? ''), splitLines(after?.text ?? ''));
}

/** A unified diff of two line lists: common lines at both ends set aside, then an LCS table. */
export function diffLines(a: string[], b: string[]): FileDiff {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  if ((n + 1) * (m + 1) > MAX_DIFF_CELLS) return { kind: 'too_large', oldLines: a.length, newLines: b.length };

  // lcs[i][j]: the longest common subsequence of a[start+i..endA) and b[start+j..endB), in one flat array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = a[start + i] === b[start + j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  const all: DiffLine[] = [];
  for (let k = 0; k < start; k++) all.push({ op: ' ', text: a[k]!, oldNo: k + 1, newNo: k + 1 });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[start + i] === b[start + j]) {
      all.push({ op: ' ', text: a[start + i]!, oldNo: start + i + 1, newNo: start + j + 1 });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)) {
      // Removals before additions, as git shows them.
      all.push({ op: '-', text: a[start + i]!, oldNo: start + i + 1, newNo: null });
      i++;
    } else {
      all.push({ op: '+', text: b[start + j]!, oldNo: null, newNo: start + j + 1 });
      j++;
    }
  }
  for (let k = 0; k < a.length - endA; k++) all.push({ op: ' ', text: a[endA + k]!, oldNo: endA + k + 1, newNo: endB + k + 1 });
  return toHunks(all);
}

/** Groups changed lines with CONTEXT lines around them into hunks, showing at most MAX_SHOWN_LINES. */
function toHunks(all: DiffLine[]): FileDiff {
  const added = all.filter((l) => l.op === '+').length;
  const removed = all.filter((l) => l.op === '-').length;
  const keep = new Uint8Array(all.length);
  all.forEach((l, k) => {
    if (l.op === ' ') return;
    for (let c = Math.max(0, k - CONTEXT); c <= Math.min(all.length - 1, k + CONTEXT); c++) keep[c] = 1;
  });
  const hunks: Hunk[] = [];
  let shown = 0;
  let clipped = 0;
  for (let k = 0; k < all.length; ) {
    if (!keep[k]) {
      k++;
      continue;
    }
    const whole: DiffLine[] = [];
    while (k < all.length && keep[k]) whole.push(all[k++]!);
    // The header describes the whole hunk; only the lines shown are capped.
    const lines = whole.slice(0, Math.max(0, MAX_SHOWN_LINES - shown));
    shown += lines.length;
    clipped += whole.length - lines.length;
    if (lines.length > 0) hunks.push({ header: hunkHeader(whole), lines });
  }
  return { kind: 'lines', hunks, added, removed, clipped };
}

/** `@@ -old,count +new,count @@`; a side with no line (an added or removed file) starts at 0. */
function hunkHeader(lines: DiffLine[]): string {
  const olds = lines.filter((l) => l.oldNo !== null);
  const news = lines.filter((l) => l.newNo !== null);
  return `@@ -${olds[0]?.oldNo ?? 0},${olds.length} +${news[0]?.newNo ?? 0},${news.length} @@`;
}

/**
 * Characters that change how code reads without showing themselves: controls (tab excepted),
 * bidirectional overrides and isolates (Trojan Source), zero-width characters, the BOM. A review
 * must see them, so the page marks each one.
 */
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

export type Segment = { text: string; hidden: boolean };

/** A line cut into plain text and marked hidden characters, each shown as `U+202E`. */
export function segments(line: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const match of line.matchAll(HIDDEN)) {
    if (match.index > last) out.push({ text: line.slice(last, match.index), hidden: false });
    out.push({ text: `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`, hidden: true });
    last = match.index + match[0].length;
  }
  if (last < line.length || out.length === 0) out.push({ text: line.slice(last), hidden: false });
  return out;
}

/** True when the text holds a character `segments` marks. */
export function hasHidden(text: string): boolean {
  HIDDEN.lastIndex = 0;
  const found = HIDDEN.test(text);
  HIDDEN.lastIndex = 0;
  return found;
}

/** `1.2 KiB` */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
