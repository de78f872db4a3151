/**
 * A parser for the plainest YAML only, in front of js-yaml on the fast path (fast-path.ts): block
 * mappings with simple keys, block sequences, and one-line scalars (plain, or quoted without
 * escapes other than \" and \\). That is how nearly every manifest is written, and this reads one
 * in a fraction of js-yaml's time, which shows at 100,000 manifests.
 *
 * It may only return what js-yaml (CORE_SCHEMA) returns for the same text: on anything else, from a
 * multi-line scalar or a flow collection to a value that could resolve as a non-string, it returns
 * undefined and js-yaml reads the file as before. A differential test (simple-yaml.test.ts) holds
 * that over real manifests and thousands of mutated ones. The caller has already refused what
 * usesRiskyYaml refuses (tabs, anchors, tags, block scalars, document markers, ...).
 */

/** What js-yaml refuses as a character in a document (its PATTERN_NON_PRINTABLE). */
const NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;
/** Printable ASCII and line feeds need no closer look (a cheap test that spares the one above). */
const NOT_PLAIN_ASCII = /[^\n\x20-\x7e]/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*/;
/** A plain scalar js-yaml's core schema could read as something else than a string (or that starts with an indicator). */
const NOT_SURELY_STRING = /^(?:[-+.0-9~?:,\[\]{}#&*!|>'"%@`]|(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$)/;
const SMALL_INT = /^(?:0|[1-9][0-9]{0,14})$/;

interface Line {
  indent: number;
  /** The line without its indentation (never blank, never a comment). */
  text: string;
}

/** Thrown to give up; caught once at the top. */
const GIVE_UP = Symbol('give up');
type Json = string | number | boolean | Json[] | { [k: string]: Json };

export function simpleYaml(source: string): Record<string, unknown> | undefined {
  // YAML's only white space is space and tab, its only line breaks LF and CR: tabs and CRs are left to js-yaml.
  if (source.includes('\r') || source.includes('\t') || source.charCodeAt(0) === 0xfeff) return undefined;
  if (NOT_PLAIN_ASCII.test(source) && NON_PRINTABLE.test(source)) return undefined;
  const lines: Line[] = [];
  for (const raw of source.split('\n')) {
    let indent = 0;
    while (raw.charCodeAt(indent) === 32) indent++;
    if (indent === raw.length || raw.charCodeAt(indent) === 35 /* # */) continue;
    lines.push({ indent, text: raw.slice(indent) });
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  let i = 0;

  const isItem = (l: Line) => l.text.charCodeAt(0) === 45 /* - */ && (l.text.length === 1 || l.text.charCodeAt(1) === 32);

  /** A mapping whose keys sit at `indent`, starting at lines[i]. */
  const mapping = (indent: number): Record<string, Json> => {
    const out: Record<string, Json> = {};
    while (i < lines.length) {
      const line = lines[i]!;
      if (line.indent < indent) break;
      if (line.indent > indent || isItem(line)) throw GIVE_UP;
      const m = KEY.exec(line.text);
      if (!m) throw GIVE_UP;
      const key = m[0];
      if (key === '__proto__' || Object.hasOwn(out, key)) throw GIVE_UP;
      const t = line.text;
      let k = key.length;
      if (t.charCodeAt(k) !== 58 /* : */) throw GIVE_UP;
      k++;
      if (k < t.length && t.charCodeAt(k) !== 32) throw GIVE_UP;
      while (t.charCodeAt(k) === 32) k++;
      i++;
      if (k < t.length && t.charCodeAt(k) !== 35) {
        out[key] = scalar(t.slice(k));
        continue;
      }
      // `key:` with its value on the lines below: deeper, or a sequence at the same indentation.
      const next = lines[i];
      if (next && next.indent > indent) out[key] = block(next);
      else if (next && next.indent === indent && isItem(next)) out[key] = sequence(indent);
      else throw GIVE_UP; // null: left to js-yaml (and refused by the shape anyway)
    }
    return out;
  };

  /** A sequence whose dashes sit at `indent`, starting at lines[i]. */
  const sequence = (indent: number): Json[] => {
    const out: Json[] = [];
    while (i < lines.length) {
      const line = lines[i]!;
      if (line.indent < indent || (line.indent === indent && !isItem(line))) break;
      if (line.indent > indent) throw GIVE_UP;
      let k = 1;
      while (line.text.charCodeAt(k) === 32) k++;
      const rest = line.text.slice(k);
      if (rest === '' || rest.charCodeAt(0) === 35 || rest.charCodeAt(0) === 45) throw GIVE_UP;
      if (KEY.test(rest) && /^[A-Za-z_][A-Za-z0-9_]*:(?: |$)/.test(rest)) {
        // `- key: value`: a mapping whose keys sit where this key starts.
        lines[i] = { indent: indent + k, text: rest };
        out.push(mapping(indent + k));
      } else {
        out.push(scalar(rest));
        i++;
      }
    }
    return out;
  };

  const block = (first: Line): Json => (isItem(first) ? sequence(first.indent) : mapping(first.indent));

  try {
    const value = mapping(0);
    return i === lines.length ? value : undefined;
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}

/** A one-line scalar with its trailing comment, or GIVE_UP. */
function scalar(t: string): Json {
  const q = t.charCodeAt(0);
  if (q === 34 /* " */ || q === 39 /* ' */) {
    const quote = q === 34 ? '"' : "'";
    let k = t.indexOf(quote, 1);
    let out: string;
    if (k > 0 && t.charCodeAt(k + 1) !== q && (q === 39 || !t.includes('\\'))) {
      out = t.slice(1, k); // the common case: no escape, no doubled quote
    } else {
      out = '';
      k = quotedEnd(t, q, (piece) => (out += piece));
    }
    // After the closing quote: nothing, or spaces and a comment.
    let j = k + 1;
    while (t.charCodeAt(j) === 32) j++;
    if (j < t.length && (j === k + 1 || t.charCodeAt(j) !== 35)) throw GIVE_UP;
    return out;
  }
  // Plain: up to a comment (" #"), without trailing spaces (only spaces: trimEnd would also take U+2028 or U+00A0, which YAML keeps).
  const hash = t.indexOf(' #');
  let end = hash < 0 ? t.length : hash;
  while (end > 0 && t.charCodeAt(end - 1) === 32) end--;
  const v = t.slice(0, end);
  if (v.includes(': ') || v.endsWith(':')) throw GIVE_UP;
  if (NOT_SURELY_STRING.test(v)) {
    if (v === 'true') return true;
    if (v === 'false') return false;
    if (SMALL_INT.test(v)) return Number(v);
    throw GIVE_UP;
  }
  return v;
}

/** The slow way through a quoted scalar: hands each piece of its value to `add`, returns the index of the closing quote. */
function quotedEnd(t: string, q: number, add: (piece: string) => void): number {
  let k = 1;
  for (;;) {
    if (k >= t.length) throw GIVE_UP; // continues on the next line
    const c = t.charCodeAt(k);
    if (c === q) {
      if (q === 39 && t.charCodeAt(k + 1) === 39) {
        add("'");
        k += 2;
        continue;
      }
      return k;
    }
    if (q === 34 && c === 92 /* \ */) {
      const e = t.charCodeAt(k + 1);
      if (e !== 34 && e !== 92) throw GIVE_UP;
      add(t[k + 1]!);
      k += 2;
      continue;
    }
    add(t[k]!);
    k++;
  }
}
