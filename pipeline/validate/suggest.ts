/**
 * "Did you mean" suggestions for unknown fields, enum values and catalogue ids.
 * Pure: candidates in, the closest few out.
 *
 * Bounded, because the input is an attacker's: 200 unknown firearm types of a few thousand
 * characters each against a 2,800-entry catalogue once cost 178 s of a full edit distance per pair
 * and blocked the running factory. Now an input or candidate longer than any real id gets no
 * suggestion, the edit distance stops as soon as it exceeds a small threshold (banded, with a
 * length-difference prune), and every problem and every validated file has a budget of work
 * units (one per distance-table cell, per candidate looked at, per character compared by the
 * substring check). A spent budget means fewer or no suggestions, never more time.
 */

export const SUGGEST_LIMITS = {
  /** Longer inputs get no suggestion: no field name, enum value or catalogue id is this long. */
  maxInputLength: 64,
  /** Longer candidates are skipped. */
  maxCandidateLength: 64,
  /** At most this many candidates are looked at for one problem. */
  maxCandidates: 10_000,
  /** At most this many edits make a candidate close (else a third of the longer string, at least 2). */
  maxDistance: 4,
  /** Work units for one problem: a full look through a 2,800-entry catalogue takes about 400,000 (a few milliseconds). */
  perProblem: 600_000,
  /** Work units for all the problems of one validated file (under a tenth of a second). */
  perFile: 6_000_000,
} as const;

/** Work units left to spend; shared by every suggestion made for one file. */
export interface SuggestBudget {
  remaining: number;
}

export const newSuggestBudget = (units: number = SUGGEST_LIMITS.perFile): SuggestBudget => ({ remaining: units });

/** Every work unit spent since the process started: tests read it to prove hostile input stays bounded. */
export const suggestWork = { units: 0 };

/** Levenshtein distance with adjacent transpositions (optimal string alignment), unbounded: for short trusted strings. */
export function editDistance(a: string, b: string): number {
  return boundedDistance(a, b, Math.max(a.length, b.length));
}

/** Rows reused by every call (the validator is synchronous): no allocation per candidate. */
let rows = [new Int32Array(66), new Int32Array(66), new Int32Array(66)];

/**
 * The optimal-string-alignment distance of `a` and `b` if it is at most `max`, else `max + 1`.
 * Only the diagonal band |i - j| <= max is computed, and it stops at the first row whose every
 * cell exceeds `max`. `meter.cells` grows by the work done (band cells computed, plus one per row).
 */
export function boundedDistance(a: string, b: string, max: number, meter: { cells: number } = { cells: 0 }): number {
  const over = max + 1;
  if (a === b) return 0;
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return over;
  if (n === 0 || m === 0) return Math.max(n, m);
  if (rows[0]!.length < m + 2) rows = [new Int32Array(m + 2), new Int32Array(m + 2), new Int32Array(m + 2)];
  // Three rows, rotated. A row's cells outside its band are never read except the two just
  // outside it, which are set to `over` (or to column 0's value), so stale cells cannot leak in.
  let [prevPrev, prev, cur] = rows as [Int32Array, Int32Array, Int32Array];
  for (let j = 0; j <= m + 1; j++) prev[j] = j <= max ? j : over;
  let cells = 0;
  let result = over;
  for (let i = 1; i <= n; i++) {
    const lo = i - max > 1 ? i - max : 1;
    const hi = i + max < m ? i + max : m;
    cur[lo - 1] = lo === 1 && i <= max ? i : over;
    if (hi + 1 <= m) cur[hi + 1] = over;
    let rowMin = cur[lo - 1]!;
    const ai = a.charCodeAt(i - 1);
    const aPrev = i > 1 ? a.charCodeAt(i - 2) : -1;
    for (let j = lo; j <= hi; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = prev[j - 1]! + (ai === bj ? 0 : 1);
      if (prev[j]! + 1 < v) v = prev[j]! + 1;
      if (cur[j - 1]! + 1 < v) v = cur[j - 1]! + 1;
      if (j > 1 && aPrev === bj && ai === b.charCodeAt(j - 2) && prevPrev[j - 2]! + 1 < v) v = prevPrev[j - 2]! + 1;
      if (v > over) v = over;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    cells += hi - lo + 2;
    if (rowMin > max) break;
    const spare = prevPrev;
    prevPrev = prev;
    prev = cur;
    cur = spare;
    if (i === n) result = prev[m]! < over ? prev[m]! : over;
  }
  meter.cells += cells;
  return result;
}

/** Candidates in lower case, computed once per list (a manifest's problems share one list). */
const lowerCache = new WeakMap<readonly string[], string[]>();
function lowerCased(candidates: readonly string[]): string[] {
  let lower = lowerCache.get(candidates);
  if (!lower) lowerCache.set(candidates, (lower = candidates.slice(0, SUGGEST_LIMITS.maxCandidates).map((c) => c.toLowerCase())));
  return lower;
}

/**
 * The candidates closest to `input`, best first, at most `limit`.
 * Case is ignored, so `code_delete` finds CODE_DELETE; a candidate that contains the input
 * (REFUND -> REFUND_ISSUE) counts as close even when the edit distance is large.
 * Spends at most SUGGEST_LIMITS.perProblem units of `budget` (default: a budget of its own).
 */
export function suggest(input: string, candidates: readonly string[], limit = 3, budget: SuggestBudget = newSuggestBudget(SUGGEST_LIMITS.perProblem)): string[] {
  const needle = input.toLowerCase();
  if (!needle || needle.length > SUGGEST_LIMITS.maxInputLength) return [];
  const allowance = Math.min(budget.remaining, SUGGEST_LIMITS.perProblem);
  let spent = 0;
  const meter = { cells: 0 };
  const scored: { c: string; score: number }[] = [];
  const lower = lowerCased(candidates);
  const count = Math.min(candidates.length, SUGGEST_LIMITS.maxCandidates);
  for (let k = 0; k < count && spent < allowance; k++) {
    const c = candidates[k]!;
    spent += 1;
    if (c.length > SUGGEST_LIMITS.maxCandidateLength) continue;
    const hay = lower[k]!;
    // The most this candidate can cost: stop before it, so the allowance is never exceeded.
    const worst = needle.length * (2 * SUGGEST_LIMITS.maxDistance + 2) + needle.length + hay.length;
    if (spent + worst > allowance) break;
    const threshold = Math.min(SUGGEST_LIMITS.maxDistance, Math.max(2, Math.floor(Math.max(needle.length, hay.length) / 3)));
    meter.cells = 0;
    const distance = boundedDistance(needle, hay, threshold, meter);
    spent += meter.cells;
    if (distance <= threshold) scored.push({ c, score: distance });
    else if (needle.length >= 3) {
      spent += needle.length + hay.length;
      if (hay.includes(needle) || needle.includes(hay)) scored.push({ c, score: threshold + 1 });
    }
  }
  budget.remaining = Math.max(0, budget.remaining - spent);
  suggestWork.units += spent;
  scored.sort((x, y) => x.score - y.score || x.c.localeCompare(y.c));
  return scored.slice(0, limit).map((s) => s.c);
}

/** " Did you mean X?" / " Did you mean X or Y?" or "" when nothing is close (or the budget is spent). */
export function didYouMean(input: string, candidates: readonly string[], budget?: SuggestBudget): string {
  const found = suggest(input, candidates, 3, budget);
  if (!found.length) return '';
  const words = found.length === 1 ? found[0] : `${found.slice(0, -1).join(', ')} or ${found.at(-1)}`;
  return ` Did you mean ${words}?`;
}
