/**
 * "Did you mean" suggestions for unknown fields, enum values and catalogue ids.
 * Pure: candidates in, the closest few out.
 */

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prevPrev[j - 2]! + 1);
      cur.push(v);
    }
    prevPrev = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidates closest to `input`, best first, at most `limit`.
 * Case is ignored, so `code_delete` finds CODE_DELETE; a candidate that contains the input
 * (REFUND -> REFUND_ISSUE) counts as close even when the edit distance is large.
 */
export function suggest(input: string, candidates: readonly string[], limit = 3): string[] {
  const needle = input.toLowerCase();
  if (!needle) return [];
  const scored: { c: string; score: number }[] = [];
  for (const c of candidates) {
    const hay = c.toLowerCase();
    const d = editDistance(needle, hay);
    const threshold = Math.max(2, Math.floor(Math.max(needle.length, hay.length) / 3));
    if (d <= threshold) scored.push({ c, score: d });
    else if (needle.length >= 3 && (hay.includes(needle) || needle.includes(hay))) scored.push({ c, score: threshold + 1 });
  }
  scored.sort((x, y) => x.score - y.score || x.c.localeCompare(y.c));
  return scored.slice(0, limit).map((s) => s.c);
}

/** " Did you mean X?" / " Did you mean X or Y?" or "" when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const found = suggest(input, candidates);
  if (!found.length) return '';
  const words = found.length === 1 ? found[0] : `${found.slice(0, -1).join(', ')} or ${found.at(-1)}`;
  return ` Did you mean ${words}?`;
}
