/**
 * What a markdown text means, as far as the tests need it: which text is inside code spans
 * (CommonMark 6.1) and which is outside, where GitHub would make it an image, a link, a mention or
 * a reference. Table rows are split into cells first and `\|` taken back to `|`, as GFM does.
 * Small on purpose: it reads what our renderers write, not every markdown there is.
 */

export interface Meaning {
  /** Everything outside code spans, line by line (cells of a table row joined by ' | '). */
  outside: string;
  /** The content of every code span, as GitHub shows it. */
  spans: string[];
  /** For each table row (a line starting with `|`): how many cells it has. */
  rowCells: number[];
}

/** GFM: a row's cells split at unescaped pipes; `\|` inside a cell becomes `|`. */
export function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const cells: string[] = [];
  let current = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '\\' && inner[i + 1] === '|') {
      current += '|';
      i++;
    } else if (c === '|') {
      cells.push(current);
      current = '';
    } else current += c;
  }
  cells.push(current);
  return cells.map((c) => c.trim());
}

/** Code spans of one inline run of text: a backtick run opens one if a run of the same length closes it. */
export function codeSpans(text: string): { outside: string; spans: string[] } {
  const spans: string[] = [];
  let outside = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '`') {
      outside += text[i++];
      continue;
    }
    let n = 0;
    while (text[i + n] === '`') n++;
    const fence = '`'.repeat(n);
    // The closing run is exactly n backticks: not part of a longer run.
    let close = -1;
    for (let j = text.indexOf(fence, i + n); j >= 0; j = text.indexOf(fence, j + 1)) {
      if (text[j - 1] !== '`' && text[j + n] !== '`') {
        close = j;
        break;
      }
      while (text[j + 1] === '`') j++;
    }
    if (close < 0) {
      outside += fence;
      i += n;
      continue;
    }
    let content = text.slice(i + n, close).replace(/\n/g, ' ');
    if (content.length >= 2 && content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') content = content.slice(1, -1);
    spans.push(content);
    outside += ' ';
    i = close + n;
  }
  return { outside, spans };
}

export function meaning(markdown: string): Meaning {
  const spans: string[] = [];
  const outside: string[] = [];
  const rowCells: number[] = [];
  for (const line of markdown.split('\n')) {
    const cells = line.startsWith('|') ? splitRow(line) : [line];
    if (line.startsWith('|')) rowCells.push(cells.length);
    const parts = cells.map(codeSpans);
    spans.push(...parts.flatMap((p) => p.spans));
    outside.push(parts.map((p) => p.outside).join(' | '));
  }
  return { outside: outside.join('\n'), spans, rowCells };
}
