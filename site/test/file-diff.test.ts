/** The line diff behind "Files changed since approval": correct, bounded, and honest about hidden characters. */
import { describe, expect, it } from 'vitest';
import { diffFile, diffLines, formatSize, MAX_DIFF_CELLS, MAX_SHOWN_LINES, segments, type FileDiff } from '../src/lib/file-diff.ts';

const lines = (d: FileDiff) => (d.kind === 'lines' ? d.hunks.flatMap((h) => h.lines.map((l) => `${l.op}${l.text}`)) : []);
const side = (text: string | null, size = text?.length ?? 10) => ({ sha256: 'a'.repeat(64), size, text });

describe('diffLines', () => {
  it('shows a changed line with three lines of context, numbered on both sides', () => {
    const before = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);
    const after = [...before];
    after[4] = 'line five';
    const d = diffLines(before, after);
    expect(d.kind).toBe('lines');
    if (d.kind !== 'lines') return;
    expect(d.hunks).toHaveLength(1);
    expect(d.hunks[0]!.header).toBe('@@ -2,7 +2,7 @@');
    expect(lines(d)).toEqual([' line 2', ' line 3', ' line 4', '-line 5', '+line five', ' line 6', ' line 7', ' line 8']);
    expect([d.added, d.removed, d.clipped]).toEqual([1, 1, 0]);
  });

  it('keeps far-apart changes in separate hunks and finds the longest common lines', () => {
    const before = Array.from({ length: 30 }, (_, i) => `l${i}`);
    const after = [...before.slice(0, 2), 'new', ...before.slice(2, 25), ...before.slice(26)];
    const d = diffLines(before, after);
    if (d.kind !== 'lines') throw new Error(d.kind);
    expect(d.hunks.map((h) => h.header)).toEqual(['@@ -1,5 +1,6 @@', '@@ -23,7 +24,6 @@']);
    expect(lines(d).filter((l) => !l.startsWith(' '))).toEqual(['+new', '-l25']);
  });

  it('an added file is all additions, a removed one all removals', () => {
    expect(lines(diffFile({ path: 'a.ts', kind: 'added', before: null, after: side('x\ny\n') }))).toEqual(['+x', '+y']);
    const removed = diffFile({ path: 'a.ts', kind: 'removed', before: side('x\n'), after: null });
    expect(removed.kind === 'lines' && removed.hunks[0]!.header).toBe('@@ -1,1 +0,0 @@');
  });

  it('a file without kept text (binary, large, not a source file) is not diffed', () => {
    expect(diffFile({ path: 'logo.png', kind: 'modified', before: side(null), after: side(null) }).kind).toBe('no_text');
  });

  it('a diff too costly to compute is refused, not attempted; a long one is clipped', () => {
    const n = Math.ceil(Math.sqrt(MAX_DIFF_CELLS)) + 1;
    const a = Array.from({ length: n }, (_, i) => `a${i}`);
    const b = Array.from({ length: n }, (_, i) => `b${i}`);
    expect(diffLines(a, b)).toEqual({ kind: 'too_large', oldLines: n, newLines: n });
    const long = diffLines(a.slice(0, 1000), b.slice(0, 1000));
    expect(long.kind === 'lines' && [long.hunks.flatMap((h) => h.lines).length, long.clipped]).toEqual([MAX_SHOWN_LINES, 2000 - MAX_SHOWN_LINES]);
    // The header still describes the whole hunk, not the lines shown.
    expect(long.kind === 'lines' && long.hunks[0]!.header).toBe('@@ -1,1000 +1,1000 @@');
  });
});

describe('segments', () => {
  it('marks bidi overrides, zero-width and control characters, and leaves tabs and text alone', () => {
    expect(segments('if (isAdmin\u202E) {\u2066// x\u2069')).toEqual([
      { text: 'if (isAdmin', hidden: false },
      { text: 'U+202E', hidden: true },
      { text: ') {', hidden: false },
      { text: 'U+2066', hidden: true },
      { text: '// x', hidden: false },
      { text: 'U+2069', hidden: true },
    ]);
    expect(segments('\tconst a = 1;')).toEqual([{ text: '\tconst a = 1;', hidden: false }]);
    expect(segments('a\u200Bb\u0007')).toEqual([
      { text: 'a', hidden: false }, { text: 'U+200B', hidden: true }, { text: 'b', hidden: false }, { text: 'U+0007', hidden: true },
    ]);
    expect(segments('')).toEqual([{ text: '', hidden: false }]);
  });

  it('formats sizes', () => {
    expect([formatSize(12), formatSize(2048), formatSize(3 * 1024 * 1024)]).toEqual(['12 B', '2.0 KiB', '3.0 MiB']);
  });
});
