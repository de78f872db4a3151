import { describe, expect, it } from 'vitest';
import { listHref, parseListParams } from '../src/lib/list-params.ts';
import { containsPattern } from '../src/lib/queries/list.ts';

describe('list filters in the query string', () => {
  it('round-trips every filter through a shareable link', () => {
    const filters = parseListParams(new URLSearchParams('q=shop&status=draft&auth=byok&firearm=yes&missing=1&page=3'));
    expect(filters).toEqual({ q: 'shop', status: 'draft', auth: 'byok', firearm: 'yes', missing: true, page: 3 });
    expect(listHref(filters)).toBe('/?q=shop&status=draft&auth=byok&firearm=yes&missing=1&page=3');
    expect(parseListParams(new URL(`http://x${listHref(filters)}`).searchParams)).toEqual(filters);
  });

  it('drops unknown or malformed values instead of failing the page', () => {
    const filters = parseListParams(new URLSearchParams('status=bogus&auth=&firearm=maybe&missing=yes&page=-2'));
    expect(filters).toEqual({ q: '', status: null, auth: null, firearm: null, missing: false, page: 1 });
    expect(listHref(filters)).toBe('/');
  });

  it('refuses an overlong search rather than sending it to the database', () => {
    expect(parseListParams(new URLSearchParams(`q=${'a'.repeat(500)}`)).q).toBe('');
  });

  it('searches for the user\'s % and _ literally', () => {
    expect(containsPattern('50%_Off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
