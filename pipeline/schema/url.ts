/**
 * The URLs a manifest holds (docs_url, oauth.authorize_url, oauth.token_url): one regular expression
 * that editors get as the JSON Schema `pattern`, plus the WHATWG URL parser, plus a diagnosis that
 * says what is wrong ("port 99999 is out of range") instead of "not a URL".
 *
 * A URL is accepted when it matches the pattern AND `new URL()` parses it. The pattern is stricter
 * than WHATWG on purpose, so what an author writes is what a browser opens: no whitespace or control
 * characters (WHATWG would silently drop or percent-encode them), no backslash (WHATWG reads it as
 * `/`), the scheme written `https://` in lower case with two slashes, no user name or password, an
 * ASCII host (an international name in its xn-- form), no IPv6 literal, and a port, if any, from
 * 1 to 65535 without leading zeros. The only URLs the pattern accepts and WHATWG refuses are hosts
 * with an invalid xn-- (punycode) label, which no regular expression can check.
 */

export interface UrlRule {
  /** http:// is allowed on 127.0.0.1 and localhost (a local stand-in for an OAuth provider). */
  loopbackHttp: boolean;
  /** A #fragment is allowed (documentation anchors); OAuth endpoints take none. */
  fragment: boolean;
}

export const DOCS_URL_RULE: UrlRule = { loopbackHttp: false, fragment: true };
export const OAUTH_ENDPOINT_RULE: UrlRule = { loopbackHttp: true, fragment: false };

export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost'] as const;

/** One DNS label: letters, digits, `_` and `-`, 1 to 63 characters, no hyphen at either end. */
const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
/** The last label starts with a letter: WHATWG reads a host ending in a number as an IPv4 address. */
const LAST_LABEL = '[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const HOST = `(?:(?:${LABEL}\\.)*${LAST_LABEL}|${OCTET}(?:\\.${OCTET}){3})`;
const PORT = '(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';
/** Whitespace, C0 and C1 control characters, DEL and the backslash. */
const BAD_CHAR = '\\s\\x00-\\x1f\\x7f-\\x9f\\\\';

/** The pattern (regex source, anchored) that editors check; the validator checks it too. */
export function urlPattern(rule: UrlRule): string {
  const rest = rule.fragment ? `(?:[/?#][^${BAD_CHAR}]*)?` : `(?:[/?][^${BAD_CHAR}#]*)?`;
  const https = `https://${HOST}(?::${PORT})?`;
  const origin = rule.loopbackHttp ? `(?:${https}|http://(?:${LOOPBACK_HOSTS.map(escapeRegex).join('|')})(?::${PORT})?)` : https;
  return `^${origin}${rest}$`;
}

/** The rule in one sentence, for editors (the pattern itself is unreadable). */
export function urlRuleSummary(rule: UrlRule): string {
  const scheme = rule.loopbackHttp ? 'an https:// URL (http:// only on 127.0.0.1 or localhost)' : 'an https:// URL';
  return `must be ${scheme} without spaces, user name or password${rule.fragment ? '' : ' or #fragment'}, with an ASCII host name and a port, if any, from 1 to 65535. npm run connectors -- validate says exactly what is wrong.`;
}

const compiled = new Map<UrlRule, RegExp>();
const regexFor = (rule: UrlRule): RegExp => {
  let re = compiled.get(rule);
  if (!re) compiled.set(rule, (re = new RegExp(urlPattern(rule), 'u')));
  return re;
};

/**
 * Why `text` is not an acceptable URL under `rule` (a lower-case clause saying what is wrong and
 * what to do), or undefined when it is one.
 */
export function urlProblem(text: string, rule: UrlRule): string | undefined {
  if (regexFor(rule).test(text)) {
    try {
      new URL(text);
      return undefined;
    } catch {
      return 'the host name is not valid (an xn-- label that is not valid punycode?): check it against the address your browser shows';
    }
  }
  return diagnose(text, rule) ?? `it does not have the form ${rule.loopbackHttp ? 'https://host/path (or http://127.0.0.1 or http://localhost)' : 'https://host/path'}`;
}

const HTTPS_ONLY = (rule: UrlRule) =>
  rule.loopbackHttp ? 'it must be an https:// URL (http:// only on 127.0.0.1 or localhost, for a local stand-in)' : 'it must be an https:// URL';

/** The first thing wrong with a text the pattern refused, in words. */
function diagnose(text: string, rule: UrlRule): string | undefined {
  if (text === '') return 'it is empty';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):(\/*)/.exec(text);
  if (!scheme) return `${HTTPS_ONLY(rule)}, starting with https://`;
  const bad = new RegExp(`[${BAD_CHAR}]`, 'u').exec(text);
  if (bad) {
    const c = bad[0];
    if (c === ' ') return 'it contains a space: write a space in a URL as %20';
    if (c === '\\') return 'it contains a backslash (\\): URLs separate their parts with /';
    return /\s/u.test(c) ? 'it contains whitespace (a tab, line break or other space): remove it' : 'it contains a control character: remove it';
  }
  const name = scheme[1]!;
  const lower = name.toLowerCase();
  if (lower !== 'https' && !(lower === 'http' && rule.loopbackHttp)) {
    return lower === 'http' ? `plain http:// is refused: ${HTTPS_ONLY(rule)}` : `${HTTPS_ONLY(rule)}, not ${lower}:`;
  }
  if (name !== lower) return `write the scheme in lower case: ${lower}://`;
  if (scheme[2] !== '//') return `write ${lower}:// with exactly two slashes`;

  const afterScheme = text.slice(scheme[0].length);
  const end = afterScheme.search(/[/?#]/);
  const authority = end < 0 ? afterScheme : afterScheme.slice(0, end);
  const rest = end < 0 ? '' : afterScheme.slice(end);
  if (authority.includes('@')) return 'a user name or password (before @) is not allowed in a URL: it would be a credential in the repository';
  if (authority.startsWith('[')) return 'an IPv6 address is not supported here: use the host name';
  const colon = authority.lastIndexOf(':');
  const host = colon < 0 ? authority : authority.slice(0, colon);
  const port = colon < 0 ? undefined : authority.slice(colon + 1);
  if (host === '') return 'it has no host name after the //';
  if (port !== undefined) {
    if (port === '') return "the port after ':' is empty: remove the ':' or write the port";
    if (!/^[0-9]+$/.test(port)) return `the port "${port}" is not a number`;
    if (port.startsWith('0') && Number(port) > 0) return `the port ${port} has a leading zero: write ${String(Number(port))}`;
    if (!new RegExp(`^${PORT}$`).test(port)) return `port ${port} is out of range (1 to 65535): correct it, or leave the port out for the default`;
  }
  if (lower === 'http') {
    if (!(LOOPBACK_HOSTS as readonly string[]).includes(host)) return `plain http:// is refused on ${host}: ${HTTPS_ONLY(rule)}`;
  } else if (!new RegExp(`^${HOST}$`).test(host)) {
    if (/[^\x00-\x7f]/.test(host)) return 'the host name is not ASCII: write an international name in its xn-- form (bücher.example is xn--bcher-kva.example)';
    if (/^[0-9.]+$/.test(host)) return `the IPv4 address ${host} is not valid: four numbers from 0 to 255 without leading zeros`;
    return `the host name ${host} is not valid: dot-separated labels of letters, digits, - and _, each 1 to 63 characters, no - at either end, the last one starting with a letter`;
  }
  if (!rule.fragment && rest.includes('#')) return 'an OAuth endpoint takes no #fragment: remove it';
  return undefined;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
