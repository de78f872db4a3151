/**
 * URLs in manifests (pipeline/schema/url.ts): parsed, not matched loosely. The validator's messages
 * say what is wrong; the editors' pattern accepts exactly what the validator accepts, except a
 * host with an invalid xn-- label (which needs a punycode decoder).
 */
import { describe, expect, it } from 'vitest';
import { validateManifestText } from '../../validate/manifest.ts';
import { VALID, edit, only, pos, realCatalog } from '../../validate/test/helpers.ts';
import { isAllowedOAuthEndpoint } from '../manifest.ts';
import { DOCS_URL_RULE, OAUTH_ENDPOINT_RULE, urlPattern, urlProblem } from '../url.ts';

const catalog = realCatalog();
const withDocsUrl = (url: string) => edit(VALID, 'docs_url: https://acme.example/docs', `docs_url: ${url}`);
const check = (text: string) => validateManifestText(text, 'connectors/acme/manifest.yaml', catalog, 'acme');

/** The single docs_url problem of a manifest whose docs_url is `url` (as YAML text). */
function docsUrlProblem(url: string) {
  const text = withDocsUrl(url);
  const r = check(text);
  expect(r.errors, JSON.stringify(r.errors)).toHaveLength(1);
  const p = only(r.errors, 'invalid_url')[0]!;
  expect(p).toMatchObject({ path: 'docs_url', ...pos(text, 'docs_url:', url.slice(0, 5)) });
  return p.message;
}

describe('URLs in manifests', () => {
  it('a space in docs_url is refused, saying so and how to write it', () => {
    expect(docsUrlProblem('https://example.com/docs page')).toBe(
      'the text "https://example.com/docs page" is not an allowed URL: it contains a space: write a space in a URL as %20.',
    );
  });

  it('a port out of range says which port and the range, not "must be an https:// URL"', () => {
    const message = docsUrlProblem('https://example.com:99999/');
    expect(message).toContain('port 99999 is out of range (1 to 65535)');
    expect(message).not.toContain('must be an https:// URL');
    expect(docsUrlProblem('https://example.com:0/')).toContain('port 0 is out of range');
    expect(docsUrlProblem('https://example.com:0443/')).toContain('the port 0443 has a leading zero: write 443');
    expect(docsUrlProblem('https://example.com:/docs')).toContain("the port after ':' is empty");
    expect(docsUrlProblem('https://example.com:http/docs')).toContain('the port "http" is not a number');
  });

  it('each other way a docs_url goes wrong gets its own reason', () => {
    const reasons: [string, string][] = [
      ['http://example.com/docs', 'plain http:// is refused: it must be an https:// URL'],
      ['ftp://example.com/docs', 'it must be an https:// URL, not ftp:'],
      ['"see the website"', 'it must be an https:// URL, starting with https://'],
      ['HTTPS://example.com/', 'write the scheme in lower case: https://'],
      ['https:/example.com/', 'write https:// with exactly two slashes'],
      ['https://user:pw@example.com/', 'a user name or password (before @) is not allowed'],
      ['"https://example.com\\\\docs"', 'it contains a backslash'],
      ['"https://example.com/\\tdocs"', 'it contains whitespace'],
      ['"https://example.com/\\u0007"', 'it contains a control character'],
      ['https://[2001:db8::1]/', 'an IPv6 address is not supported here'],
      ['https://bücher.example/', 'the host name is not ASCII: write an international name in its xn-- form'],
      ['https://203.0.113.256/', 'the IPv4 address 203.0.113.256 is not valid'],
      ['https://example.123/', 'the host name example.123 is not valid'],
      ['https://-x.example/', 'the host name -x.example is not valid'],
      ['https:///docs', 'write https:// with exactly two slashes'],
      ['https://:443/docs', 'it has no host name'],
      ['https://xn--a.example/', 'an xn-- label that is not valid punycode?'],
      ['""', 'it is empty'],
    ];
    for (const [url, reason] of reasons) expect(docsUrlProblem(url), url).toContain(reason);
  });

  it('docs URLs that browsers open as written are accepted, fragment and all', () => {
    for (const url of ['https://docs.stripe.com/api', 'https://example.com', 'https://example.com:8443/a?b=c#d', 'https://203.0.113.7/', 'https://API_docs.Example.com/über%20uns', 'https://xn--bcher-kva.example/']) {
      expect(urlProblem(url, DOCS_URL_RULE), url).toBeUndefined();
      expect(check(withDocsUrl(url)).errors, url).toEqual([]);
    }
  });

  it('OAuth endpoints: https, http only on 127.0.0.1 or localhost, no #fragment (vault-agent uses the same rule)', () => {
    for (const ok of ['https://accounts.example/o/token', 'http://127.0.0.1:9000/token', 'http://localhost/token', 'https://accounts.example:8443/token?x=1']) {
      expect(isAllowedOAuthEndpoint(ok), ok).toBe(true);
    }
    const refused: [string, string][] = [
      ['http://accounts.example/token', 'plain http:// is refused on accounts.example: it must be an https:// URL (http:// only on 127.0.0.1 or localhost, for a local stand-in)'],
      ['http://127.0.0.2/token', 'plain http:// is refused on 127.0.0.2'],
      ['http://localhost.evil.example/token', 'plain http:// is refused on localhost.evil.example'],
      ['https://accounts.example/token#x', 'an OAuth endpoint takes no #fragment'],
      ['https://accounts.example:70000/token', 'port 70000 is out of range'],
      ['https://accounts.example/to ken', 'it contains a space'],
    ];
    for (const [url, reason] of refused) {
      expect(isAllowedOAuthEndpoint(url), url).toBe(false);
      expect(urlProblem(url, OAUTH_ENDPOINT_RULE)).toContain(reason);
    }
    expect(urlProblem('https://accounts.example/token#x', DOCS_URL_RULE)).toBeUndefined();
  });

  it("the editors' pattern accepts exactly what the validator accepts (but for invalid punycode)", () => {
    const samples = [
      'https://example.com', 'https://example.com/', 'https://a.b.c.example.com/x/y?z#w', 'https://example.com:1/', 'https://example.com:65535/',
      'https://example.com:65536/', 'https://example.com:0/', 'https://example.com:00/', 'https://example.com:/', 'https://1.2.3.4/', 'https://1.2.3.04/',
      'https://1.2.3/', 'https://a-b.c_d.example/', 'https://a-.example/', 'https://example.c0m/', 'https://example.0x1f/', 'https://example./',
      'https://.example/', 'https://a..b/', `https://${'a'.repeat(63)}.example/`, `https://${'a'.repeat(64)}.example/`, 'https://ex ample.com/',
      'https://example.com/a b', 'https://example.com/\u00a0', 'https://example.com/\u2028', 'https://example.com/\u0085', 'https://example.com/ü?ä#ö',
      'https://example.com/%zz', 'https://example.com/<>"{}|^`', 'https://example.com?q', 'https://example.com#f', 'https://u@example.com/',
      'https://example.com/@x', 'http://localhost', 'http://localhost:8080/x', 'http://LOCALHOST/', 'http://127.0.0.1/', 'https://localhost/',
      'https://[::1]/', 'https://ex%41mple.com/', 'https://exa\u00admple.com/', 'https://ⓔxample.com/', 'https:example.com', 'https:\\\\example.com',
      ' https://example.com/', 'https://example.com/ ', '',
    ];
    for (const rule of [DOCS_URL_RULE, OAUTH_ENDPOINT_RULE]) {
      const pattern = new RegExp(urlPattern(rule), 'u');
      for (const url of samples) expect({ url, editor: pattern.test(url) }).toEqual({ url, editor: urlProblem(url, rule) === undefined });
    }
    expect(new RegExp(urlPattern(DOCS_URL_RULE), 'u').test('https://xn--a.example/')).toBe(true);
    expect(urlProblem('https://xn--a.example/', DOCS_URL_RULE)).toBeDefined();
  });

  it('a long hostile URL gets its answer (no pattern backtracks without bound)', () => {
    const hostile = [`https://${'a.'.repeat(20_000)}`, `https://${'a'.repeat(50_000)}:`, `https://example.com/${'%'.repeat(100_000)} `];
    for (const url of hostile) expect(urlProblem(url, DOCS_URL_RULE)).toBeDefined();
  });
});
