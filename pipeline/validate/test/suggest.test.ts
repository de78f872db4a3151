/**
 * "Did you mean" stays useful for real typos and bounded for hostile input. Work is counted in
 * units (distance-table cells, candidates looked at, characters compared), not timed.
 */
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../schema/manifest.ts';
import { validateManifestText } from '../manifest.ts';
import { SUGGEST_LIMITS, boundedDistance, editDistance, newSuggestBudget, suggest, suggestWork } from '../suggest.ts';
import { VALID, edit, only, realCatalog } from './helpers.ts';

const catalog = realCatalog();
const firearmIds = catalog.firearmTypes.map((f) => f.id);

describe('suggestions for real typos', () => {
  it('finds the id that contains the input, ignoring case, and near misses by edit distance', () => {
    expect(suggest('REFUND', firearmIds)[0]).toBe('REFUND_ISSUE');
    expect(suggest('code_delete', firearmIds)).toEqual(['CODE_DELETE']);
    expect(suggest('PROD_DEPLOI', firearmIds)[0]).toBe('PROD_DEPLOY');
    expect(suggest('byk', ['oauth', 'byok', 'oauth_and_byok', 'none'])).toEqual(['byok']);
    expect(suggest('descripton', ['description', 'display_name', 'docs_url'])).toEqual(['description']);
    expect(suggest('ordres', catalog.coreKpis.map((k) => k.id))[0]).toBe('orders');
    expect(suggest('gross_sale', catalog.coreKpis.map((k) => k.id))[0]).toBe('gross_sales');
  });

  it('suggests nothing when nothing is close', () => {
    expect(suggest('TELEPORT', firearmIds)).toEqual([]);
  });

  it('the bounded distance equals the full one up to the bound, and says "over" beyond it', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const word = () => Array.from({ length: 1 + Math.floor(rand() * 12) }, () => 'abcde'[Math.floor(rand() * 5)]).join('');
    for (let k = 0; k < 2000; k++) {
      const a = word();
      const b = word();
      const full = editDistance(a, b);
      const max = Math.floor(rand() * 5);
      expect(boundedDistance(a, b, max)).toBe(full <= max ? full : max + 1);
    }
    expect(editDistance('ab', 'ba')).toBe(1);
  });
});

/** A catalogue of `n` firearm types shaped like real ids. */
function bigCatalog(n: number): Catalog {
  const verbs = ['EXECUTE', 'ISSUE', 'UPDATE', 'CREATE', 'DELETE', 'PUBLISH', 'SEND'];
  const firearmTypes = Array.from({ length: n - 1 }, (_, i) => ({ id: `AREA_${i}_${verbs[i % verbs.length]}`, label: `Type ${i}`, description: 'x' }));
  firearmTypes.push({ id: 'REFUND_ISSUE', label: 'Refund', description: 'x' }); // VALID's own scope uses it
  return { firearmTypes, coreKpis: catalog.coreKpis };
}

/** VALID plus `types.length` scopes, each requiring a firearm of one of `types`. */
function manifestWithTypes(types: string[]): string {
  const scopes = types.map((t, i) => `  - name: act_${i}\n    description: Act ${i}\n    requires_firearm: true\n    firearm_type: ${t}\n`).join('');
  return edit(VALID, 'kpis:\n', `${scopes}kpis:\n`);
}

describe('suggestions for hostile input are bounded by a work budget', () => {
  const big = bigCatalog(2800);
  const ids = big.firearmTypes.map((f) => f.id);

  it('200 long unknown firearm types against 2,800 ids: every problem reported, the work within one file budget', () => {
    const types = Array.from({ length: 200 }, (_, i) => `T${i}_${'QX'.repeat(500)}`); // about 1,000 characters each
    const text = manifestWithTypes(types);
    expect(text.length).toBeLessThan(256 * 1024);
    // What the unbounded distance would have computed: every pair's full table.
    const naive = types.reduce((n, t) => n + ids.reduce((m, id) => m + (t.length + 1) * (id.length + 1), 0), 0);
    expect(naive).toBeGreaterThan(5e9);

    const before = suggestWork.units;
    const result = validateManifestText(text, 'connectors/acme/manifest.yaml', big, 'acme');
    const spent = suggestWork.units - before;
    expect(only(result.errors, 'unknown_firearm_type')).toHaveLength(200);
    expect(spent).toBeLessThanOrEqual(SUGGEST_LIMITS.perFile);
    // The value is quoted clipped, not echoed whole.
    expect(only(result.errors, 'unknown_firearm_type')[0]!.message.length).toBeLessThan(400);
  });

  it('200 unknown types as long as real ids (no length prune) still stay within one file budget', () => {
    let seed = 11;
    const letter = () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % 26];
    const types = Array.from({ length: 200 }, () => `AREA_${Array.from({ length: 12 }, letter).join('')}`);
    const before = suggestWork.units;
    const result = validateManifestText(manifestWithTypes(types), 'connectors/acme/manifest.yaml', big, 'acme');
    const spent = suggestWork.units - before;
    expect(only(result.errors, 'unknown_firearm_type')).toHaveLength(200);
    expect(spent).toBeLessThanOrEqual(SUGGEST_LIMITS.perFile);
    expect(spent).toBeGreaterThan(0);
  });

  it('one problem spends at most its own allowance, and a spent budget yields no suggestion', () => {
    const budget = newSuggestBudget(10 * SUGGEST_LIMITS.perProblem);
    suggest('AREA_QQQQQQQQQQQQ', ids, 3, budget);
    expect(10 * SUGGEST_LIMITS.perProblem - budget.remaining).toBeLessThanOrEqual(SUGGEST_LIMITS.perProblem);
    expect(suggest('AREA_7_EXECUTEE', ids, 3, { remaining: 0 })).toEqual([]);
    expect(suggest('AREA_7_EXECUTEE', ids, 3, newSuggestBudget())[0]).toBe('AREA_7_EXECUTE');
  });

  it('an input longer than any id gets no suggestion and costs nothing', () => {
    const before = suggestWork.units;
    expect(suggest('A'.repeat(SUGGEST_LIMITS.maxInputLength + 1), ids)).toEqual([]);
    expect(suggestWork.units - before).toBe(0);
  });
});
