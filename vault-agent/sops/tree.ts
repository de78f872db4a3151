/**
 * Parses a sops document (JSON, YAML or dotenv) into an ordered tree plus its `sops` metadata.
 * Order matters: the sops MAC hashes values in document order, so JSON is read through the
 * `yaml` parser (which keeps key order, even for integer-like keys that JSON.parse would reorder).
 * Errors name the place in the document, never a value.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';

export type SopsFormat = 'json' | 'yaml' | 'dotenv';

export type SopsNode =
  | { kind: 'map'; entries: [string, SopsNode][] }
  | { kind: 'seq'; items: SopsNode[] }
  | { kind: 'scalar'; value: string | number | boolean | null };

export interface AgeStanza {
  recipient: string;
  enc: string;
}

/** The metadata fields this reader understands (sops' Metadata struct, age key groups only). */
export interface SopsMetadata {
  age: AgeStanza[];
  lastmodified: string;
  mac: string;
  unencrypted_suffix?: string;
  encrypted_suffix?: string;
  unencrypted_regex?: string;
  encrypted_regex?: string;
  mac_only_encrypted?: boolean;
  version?: string;
  hasKeyGroups: boolean;
}

export interface ParsedSops {
  data: SopsNode & { kind: 'map' };
  meta: SopsMetadata;
}

export type ParseResult = { ok: true; doc: ParsedSops } | { ok: false; message: string };

/** Guesses the format from a file name; `.sops.json` and `.json` are JSON, `.env` dotenv, else YAML. */
export function formatFromPath(path: string): SopsFormat {
  if (/\.json$/i.test(path)) return 'json';
  if (/\.env$/i.test(path)) return 'dotenv';
  return 'yaml';
}

/** Parses document text of the given format; never throws for bad input. */
export function parseSopsDocument(text: string, format: SopsFormat): ParseResult {
  try {
    const root = format === 'dotenv' ? parseDotenv(text) : parseStructured(text, format);
    if (!root.ok) return root;
    return splitMetadata(root.tree, format);
  } catch (err) {
    return { ok: false, message: err instanceof DocError ? err.message : 'the document could not be parsed' };
  }
}

class DocError extends Error {}

function parseStructured(text: string, format: 'json' | 'yaml'): { ok: true; tree: SopsNode } | { ok: false; message: string } {
  if (format === 'json') {
    try {
      JSON.parse(text);
    } catch {
      return { ok: false, message: 'the document is not valid JSON' };
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    // yaml's messages quote source text, which may be ciphertext: report only the position.
    const pos = doc.errors[0]!.linePos?.[0];
    return { ok: false, message: `the document is not valid ${format.toUpperCase()}${pos ? ` (line ${pos.line})` : ''}` };
  }
  return { ok: true, tree: toNode(doc.contents as YamlNode | null, '') };
}

function toNode(node: YamlNode | null, where: string): SopsNode {
  if (node === null || node === undefined) return { kind: 'scalar', value: null };
  if (isAlias(node)) throw new DocError(`aliases are not supported in sops documents (at ${where || 'top level'})`);
  if (isMap(node)) {
    const entries: [string, SopsNode][] = [];
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key !== 'string') throw new DocError(`a key at ${where || 'top level'} is not a string`);
      entries.push([key, toNode(pair.value as YamlNode | null, where ? `${where}.${key}` : key)]);
    }
    return { kind: 'map', entries };
  }
  if (isSeq(node)) {
    return { kind: 'seq', items: node.items.map((n, i) => toNode(n as YamlNode | null, `${where}[${i}]`)) };
  }
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { kind: 'scalar', value: v };
  }
  throw new DocError(`unsupported value at ${where || 'top level'}`);
}

/** sops' dotenv store: `KEY=VALUE` lines, `#` comments, `\n` escapes; metadata flattened as `sops_*`. */
function parseDotenv(text: string): { ok: true; tree: SopsNode } | { ok: false; message: string } {
  const entries: [string, SopsNode][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0 || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq === -1) return { ok: false, message: `line ${i + 1} of the dotenv document has no "="` };
    entries.push([line.slice(0, eq), { kind: 'scalar', value: line.slice(eq + 1).replaceAll('\\n', '\n') }]);
  }
  return { ok: true, tree: { kind: 'map', entries } };
}

function splitMetadata(tree: SopsNode, format: SopsFormat): ParseResult {
  if (tree.kind !== 'map') return { ok: false, message: 'the top level of the document is not a mapping' };
  const data: [string, SopsNode][] = [];
  let raw: Record<string, unknown> | undefined;
  if (format === 'dotenv') {
    const flat: Record<string, unknown> = {};
    for (const [k, v] of tree.entries) {
      if (k.startsWith('sops_')) flat[k.slice(5)] = v.kind === 'scalar' ? v.value : undefined;
      else data.push([k, v]);
    }
    raw = Object.keys(flat).length > 0 ? unflattenDotenvMetadata(flat) : undefined;
  } else {
    for (const [k, v] of tree.entries) {
      if (k === 'sops') raw = toPlain(v) as Record<string, unknown>;
      else data.push([k, v]);
    }
  }
  if (!raw || typeof raw !== 'object') return { ok: false, message: 'the document has no sops metadata (is it encrypted with sops?)' };
  const meta = readMetadata(raw);
  if (!meta.ok) return meta;
  return { ok: true, doc: { data: { kind: 'map', entries: data }, meta: meta.meta } };
}

function unflattenDotenvMetadata(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const age: Record<string, unknown>[] = [];
  for (const [k, v] of Object.entries(flat)) {
    const m = /^age__list_(\d+)__map_(\w+)$/.exec(k);
    if (m) {
      const entry = (age[Number(m[1])] ??= {});
      entry[m[2]!] = v;
    } else if (k.includes('__list_')) {
      out.key_groups = true; // other flattened key lists: key groups or other key types
    } else {
      out[k] = v === 'true' ? true : v === 'false' ? false : v;
    }
  }
  out.age = age.filter(Boolean);
  return out;
}

function toPlain(n: SopsNode): unknown {
  if (n.kind === 'scalar') return n.value;
  if (n.kind === 'seq') return n.items.map(toPlain);
  return Object.fromEntries(n.entries.map(([k, v]) => [k, toPlain(v)]));
}

function readMetadata(raw: Record<string, unknown>): { ok: true; meta: SopsMetadata } | { ok: false; message: string } {
  const str = (k: string): string | undefined => (typeof raw[k] === 'string' && raw[k] !== '' ? (raw[k] as string) : undefined);
  const lastmodified = str('lastmodified');
  const mac = str('mac');
  if (!lastmodified) return { ok: false, message: 'sops.lastmodified is missing' };
  if (!mac) return { ok: false, message: 'sops.mac is missing: the document cannot be verified' };
  const ageRaw = Array.isArray(raw.age) ? raw.age : [];
  const age: AgeStanza[] = [];
  for (const a of ageRaw) {
    if (a && typeof a === 'object' && typeof (a as AgeStanza).enc === 'string' && typeof (a as AgeStanza).recipient === 'string') {
      age.push({ recipient: (a as AgeStanza).recipient, enc: (a as AgeStanza).enc });
    }
  }
  return {
    ok: true,
    meta: {
      age,
      lastmodified,
      mac,
      unencrypted_suffix: str('unencrypted_suffix'),
      encrypted_suffix: str('encrypted_suffix'),
      unencrypted_regex: str('unencrypted_regex'),
      encrypted_regex: str('encrypted_regex'),
      mac_only_encrypted: raw.mac_only_encrypted === true,
      version: str('version'),
      hasKeyGroups: raw.key_groups !== undefined && raw.key_groups !== null,
    },
  };
}
