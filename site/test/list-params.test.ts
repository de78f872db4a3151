import { describe, expect, it } from 'vitest';
import { listHref, pageCount, pageWindow, parseListParams, sortHref } from '../src/lib/list-params.ts';
import { containsPattern } from '../src/lib/queries/list.ts';

describe('list filters in the query string', () => {
  it('round-trips every filter, the order and the page through a shareable link', () => {
    const filters = parseListParams(new URLSearchParams('q=shop&status=draft&auth=byok&firearm=yes&missing=1&sort=updated&dir=asc&page=3'));
    expect(filters).toEqual({ q: 'shop', status: 'draft', auth: 'byok', firearm: 'yes', missing: true, sort: 'updated', dir: 'asc', page: 3 });
    expect(listHref(filters)).toBe('/?q=shop&status=draft&auth=byok&firearm=yes&missing=1&sort=updated&dir=asc&page=3');
    expect(parseListParams(new URL(`http://x${listHref(filters)}`).searchParams)).toEqual(filters);
  });

  it('drops unknown or malformed values instead of failing the page', () => {
    const filters = parseListParams(new URLSearchParams('status=bogus&auth=&firearm=maybe&missing=yes&sort=price&dir=up&page=-2'));
    expect(filters).toEqual({ q: '', status: null, auth: null, firearm: null, missing: false, sort: 'name', dir: 'asc', page: 1 });
    expect(listHref(filters)).toBe('/');
  });

  it('keeps a page number past the last one (the page says it is out of range), within reason', () => {
    expect(parseListParams(new URLSearchParams('page=201')).page).toBe(201);
    expect(parseListParams(new URLSearchParams('page=1e99')).page).toBe(1);
  });

  it('refuses an overlong search rather than sending it to the database', () => {
    expect(parseListParams(new URLSearchParams(`q=${'a'.repeat(500)}`)).q).toBe('');
  });

  it('drops control characters from a search (a name or slug never holds one)', () => {
    expect(parseListParams(new URLSearchParams('q=ads%0Aalpha%00')).q).toBe('ads alpha');
  });

  it("searches for the user's % and _ literally", () => {
    expect(containsPattern('50%_Off\\')).toBe('%50\\%\\_off\\\\%');
  });

  it('leaves each default out of links: name ascending, updated newest first', () => {
    expect(listHref(parseListParams(new URLSearchParams('sort=name&dir=asc')))).toBe('/');
    expect(listHref(parseListParams(new URLSearchParams('sort=updated')))).toBe('/?sort=updated');
    expect(parseListParams(new URLSearchParams('sort=updated')).dir).toBe('desc');
  });

  it("a column header sorts by its column in that column's first direction, then flips, back on page 1", () => {
    const byName = parseListParams(new URLSearchParams('q=acme&page=4'));
    expect(sortHref(byName, 'name')).toBe('/?q=acme&dir=desc');
    expect(sortHref(byName, 'status')).toBe('/?q=acme&sort=status');
    expect(sortHref(byName, 'updated')).toBe('/?q=acme&sort=updated');
    const byUpdated = parseListParams(new URLSearchParams('sort=updated'));
    expect(sortHref(byUpdated, 'updated')).toBe('/?sort=updated&dir=asc');
  });
});

describe('page numbers', () => {
  it('counts at least one page', () => {
    expect([0, 1, 50, 51, 10_000].map(pageCount)).toEqual([1, 1, 1, 2, 200]);
  });

  it('shows the first, the last and two either side of the current, with gaps marked', () => {
    expect(pageWindow(1, 1)).toEqual([1]);
    expect(pageWindow(1, 200)).toEqual([1, 2, 3, null, 200]);
    expect(pageWindow(100, 200)).toEqual([1, null, 98, 99, 100, 101, 102, null, 200]);
    expect(pageWindow(200, 200)).toEqual([1, null, 198, 199, 200]);
    // A gap of a single page shows that page rather than an ellipsis.
    expect(pageWindow(5, 9)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pageWindow(4, 6)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
