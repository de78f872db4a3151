/**
 * Parses one YAML file defensively and keeps positions, so every later problem can point at a line.
 *
 * Refuses what a manifest never needs and an attacker might use: more than one document, explicit
 * tags (`!foo`, `!!binary`), YAML 1.1 (`yes` would become true), duplicate keys (the last would win
 * silently), complex keys, deep nesting, and aliases that expand beyond a small bound (the
 * "billion laughs" bomb is detected by counting expanded nodes with memoized sizes, before any
 * expansion happens, so it fails in microseconds instead of exhausting memory).
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import { clip } from './terminal-text.ts';
import type { ProblemCode } from './problem-codes.ts';
import type { Problem } from './types.ts';

export type PathSegment = string | number;

/** At most this many nodes after expanding every alias; a big manifest has a few thousand. */
export const MAX_EXPANDED_NODES = 20_000;
/** At most this many alias references in one file (passed to yaml's own toJS check as well). */
export const MAX_ALIASES = 100;
/** Manifests are three levels deep; anything far deeper is not a manifest. */
export const MAX_DEPTH = 32;

export interface Position {
  line: number;
  column: number;
}

export interface ParsedYaml {
  /** The plain JS value, or undefined when the file could not be read as one YAML mapping. */
  value: Record<string, unknown> | undefined;
  problems: Problem[];
  /** Where a field path is in the file: its value (default) or its key. Falls back to the nearest ancestor. */
  locate(path: readonly PathSegment[], at?: 'key' | 'value'): Position;
}

/** `scopes[1].firearm_type` from ['scopes', 1, 'firearm_type']. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

export function parseYamlSafely(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const problems: Problem[] = [];
  const posAt = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const add = (offset: number, path: readonly PathSegment[], code: ProblemCode, message: string) =>
    problems.push({ file, ...posAt(offset), path: formatPath(path), code, message });

  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter, version: '1.2', uniqueKeys: false, prettyErrors: false }) as Document.Parsed[];
    if (!Array.isArray(docs)) docs = [docs];
  } catch (err) {
    add(0, [], 'yaml_syntax', `the file could not be parsed as YAML (${(err as Error).message}). Fix the YAML syntax.`);
    return { value: undefined, problems, locate: () => ({ line: 1, column: 1 }) };
  }
  const doc = docs[0];
  const locate = (path: readonly PathSegment[], at: 'key' | 'value' = 'value'): Position =>
    doc ? posAt(locateOffset(doc, path, at)) : { line: 1, column: 1 };

  if (!doc) {
    add(0, [], 'not_a_mapping', 'the file is empty. A manifest is a YAML mapping starting with `schema_version: 1`.');
    return { value: undefined, problems, locate };
  }
  for (const extra of docs.slice(1)) {
    add(extra.range[0], [], 'multiple_documents', 'the file holds more than one YAML document (a second `---`). Keep exactly one document per manifest.');
  }
  for (const { error: err, hidden } of realSyntaxErrors(doc, text, lineCounter)) {
    if (/call stack/i.test(err.message)) {
      add(err.pos[0], [], 'too_deep', `the file nests too deeply to parse; a manifest is three levels deep. Check the brackets and indentation.`);
    } else {
      const more = hidden === 0 ? '' : ` (${hidden} later syntax error${hidden === 1 ? '' : 's'} the parser reported most likely follow${hidden === 1 ? 's' : ''} from this one and ${hidden === 1 ? 'is' : 'are'} not listed; validate again once it is fixed)`;
      add(err.pos[0], [], 'yaml_syntax', `YAML syntax error: ${err.message.split('\n')[0]}. Fix the YAML syntax here${more}.`);
    }
  }
  const directive = doc.directives?.yaml;
  if (directive?.explicit && directive.version !== '1.2') {
    add(0, [], 'yaml_version', `the file declares %YAML ${directive.version}; manifests are YAML 1.2. Remove the %YAML line.`);
  }
  if (problems.length) return { value: undefined, problems, locate };

  const root = doc.contents as Node | null;
  if (!isMap(root)) {
    const empty = root === null || (isScalar(root) && root.value === null && !root.tag);
    const what = empty ? 'empty' : isSeq(root) ? 'a list' : 'a single value';
    add(empty ? 0 : (root?.range?.[0] ?? 0), [], 'not_a_mapping', `the top level of the file is ${what}, not a mapping. A manifest starts with \`schema_version: 1\` followed by its fields.`);
    return { value: undefined, problems, locate };
  }

  // One pass over the tree: tags, duplicate and complex keys, depth, alias expansion size.
  const anchors = new Map<string, Node>();
  const sizes = new WeakMap<Node, number>();
  let aliases = 0;
  let bomb = false;
  const walk = (node: Node | null, path: PathSegment[], depth: number): number => {
    if (node === null || bomb) return 1;
    if (isAlias(node)) {
      aliases++;
      const target = anchors.get(node.source);
      if (!target) {
        add(node.range?.[0] ?? 0, path, 'undefined_alias', `alias *${node.source} refers to no earlier anchor &${node.source}. Define the anchor before using it, or write the value out.`);
        return 1;
      }
      const size = sizes.get(target) ?? 1;
      if (aliases > MAX_ALIASES || size > MAX_EXPANDED_NODES) bomb = true;
      if (bomb) add(node.range?.[0] ?? 0, path, 'alias_limit', `aliases here expand beyond ${MAX_ALIASES} references or ${MAX_EXPANDED_NODES} nodes (an alias bomb?). Write the values out instead of using anchors and aliases.`);
      return size;
    }
    if (depth > MAX_DEPTH) {
      add(node.range?.[0] ?? 0, path, 'too_deep', `the file nests deeper than ${MAX_DEPTH} levels; a manifest is three levels deep. Check the indentation.`);
      bomb = true;
      return 1;
    }
    if (node.tag) {
      add(tagOffset(text, node.range?.[0] ?? 0), path, 'custom_tag', `the tag ${node.tag.replace(/^tag:yaml\.org,2002:/, '!!')} is not allowed in a manifest. Remove it and write a plain value.`);
    }
    if (node.anchor) anchors.set(node.anchor, node);
    let size = 1;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (!isScalar(key)) {
          add((key as Node | null)?.range?.[0] ?? node.range?.[0] ?? 0, path, 'invalid_key', 'keys must be plain names like `scopes`, not lists, mappings or aliases. Rewrite the key.');
          continue;
        }
        const name = String(key.value);
        const childPath = [...path, name];
        if (seen.has(name)) {
          add(key.range?.[0] ?? 0, childPath, 'duplicate_key', `the key "${clip(name)}" appears twice${path.length ? ` in ${formatPath(path)}` : ''}; YAML would silently keep only the last one. Remove or merge the duplicate.`);
        }
        seen.add(name);
        size += 1 + walk(pair.value as Node | null, childPath, depth + 1);
        if (size > MAX_EXPANDED_NODES && !bomb) {
          bomb = true;
          add(key.range?.[0] ?? 0, childPath, 'alias_limit', `the file expands beyond ${MAX_EXPANDED_NODES} nodes (an alias bomb?). Write the values out instead of using anchors and aliases.`);
        }
        if (bomb) break;
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        if (!bomb) size += walk(item as Node | null, [...path, i], depth + 1);
      });
      if (size > MAX_EXPANDED_NODES && !bomb) {
        bomb = true;
        add(node.range?.[0] ?? 0, path, 'alias_limit', `the file expands beyond ${MAX_EXPANDED_NODES} nodes (an alias bomb?). Write the values out instead of using anchors and aliases.`);
      }
    }
    sizes.set(node, size);
    return size;
  };
  walk(root, [], 0);
  // Duplicate keys and tags still give a usable value, so the other rules can run too.
  if (bomb || problems.some((p) => p.code !== 'duplicate_key' && p.code !== 'custom_tag')) {
    return { value: undefined, problems, locate };
  }

  try {
    const value = doc.toJS({ maxAliasCount: MAX_ALIASES }) as Record<string, unknown>;
    return { value, problems, locate };
  } catch (err) {
    add(0, [], 'alias_limit', `the YAML could not be expanded safely (${(err as Error).message}). Write the values out instead of using aliases.`);
    return { value: undefined, problems, locate };
  }
}

type YamlError = Document.Parsed['errors'][number];

/**
 * The parser's errors, one per real mistake. After a syntax error the `yaml` parser reads the rest
 * of that block out of step and reports errors that only follow from the first (one stray `:` gave
 * four, on four lines), and once it has given up on the document every later token is "unexpected".
 * So it keeps the first error of each top-level block (a line starting in column 1 and the lines
 * indented under it) and nothing after an error that lies past the end of what was read as the
 * document; each kept error counts the ones it stands for. Two mistakes in two blocks stay two.
 */
export function realSyntaxErrors(doc: Document.Parsed, text: string, lines: LineCounter): { error: YamlError; hidden: number }[] {
  // Line starts (0-based line index) that begin a top-level block: not indented, not a comment or a list item.
  const blockStarts: number[] = [];
  lines.lineStarts.forEach((start, i) => {
    const c = text[start];
    if (c !== undefined && !' \t\r\n#-'.includes(c)) blockStarts.push(i);
  });
  const blockOf = (offset: number): number => {
    const line = lines.linePos(offset).line - 1;
    let lo = 0;
    let hi = blockStarts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (blockStarts[mid]! <= line) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  const documentEnd = doc.range[1];
  const kept: { error: YamlError; hidden: number }[] = [];
  const byBlock = new Map<number, { error: YamlError; hidden: number }>();
  for (const error of doc.errors) {
    const last = kept.at(-1);
    if (last && error.pos[0] >= documentEnd) {
      last.hidden++;
      continue;
    }
    const block = blockOf(error.pos[0]);
    const owner = byBlock.get(block);
    if (owner) {
      owner.hidden++;
      continue;
    }
    const entry = { error, hidden: 0 };
    byBlock.set(block, entry);
    kept.push(entry);
  }
  return kept;
}

/** Where a node's tag (`!shout value`) starts: the node's range begins after it. */
function tagOffset(text: string, valueOffset: number): number {
  const lineStart = text.lastIndexOf('\n', valueOffset - 1) + 1;
  const m = /(![^\s]*)\s+$/.exec(text.slice(lineStart, valueOffset));
  return m ? lineStart + m.index : valueOffset;
}

/** The byte offset of a field path: follows map keys and list indexes, resolving aliases on the way. */
function locateOffset(doc: Document.Parsed, path: readonly PathSegment[], at: 'key' | 'value'): number {
  let node = doc.contents as Node | null;
  let keyOffset: number | undefined;
  let best = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
    const seg = path[i]!;
    let next: Node | null | undefined;
    keyOffset = undefined;
    if (isMap(node)) {
      const pair = node.items.findLast((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair) {
        keyOffset = (pair.key as Node).range?.[0];
        next = pair.value as Node | null;
        if (!next?.range) return keyOffset ?? best;
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg] as Node | null | undefined;
    }
    if (!next) return best;
    node = next;
    best = at === 'key' && i === path.length - 1 && keyOffset !== undefined ? keyOffset : (node.range?.[0] ?? best);
  }
  return best;
}
