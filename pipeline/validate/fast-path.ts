/**
 * The fast path for clean manifests: js-yaml parses about ten times faster than `yaml` with its
 * positions, which is what lets 10,000 manifests validate in a second or two; simple-yaml.ts, in
 * front of it, reads the plainest YAML (nearly every manifest) about four times faster again.
 *
 * It may only ACCEPT, never report: on any doubt it returns undefined and the caller runs the full
 * positional validator, which finds and places every problem. To accept, the text must avoid every
 * YAML feature where the two parsers could disagree (tags, anchors, aliases, block scalars,
 * directives, document markers, complex keys, tabs), every string must be one that YAML 1.2's core
 * schema also reads as a string, and the shape and all rules must pass with no warning. So whenever
 * this path accepts, the full validator would accept the same value; a differential test holds that.
 */
import jsyaml from 'js-yaml';
import { simpleYaml } from './simple-yaml.ts';
import type { ParsedYaml } from './yaml-safe.ts';

/** How the fast path calls js-yaml: the core schema, duplicate keys and warnings refused. */
export const JS_YAML_OPTIONS: jsyaml.LoadOptions = { schema: jsyaml.CORE_SCHEMA, json: false, onWarning: () => { throw new Error('warning'); } };

/** Characters that start a tag, anchor, alias, block scalar, directive or complex key, plus tabs and merge keys. */
const INDICATOR = /[!&*|>%@`?\t<]/g;

/**
 * Whether the text uses a YAML feature the fast path leaves to the full parser: an indicator at the
 * start of a node (after indentation, `key: `, `- `, or a flow bracket or comma), a tab, a merge
 * key, or a document marker. Indicators inside text ("Settings > API") are fine. A scan from one
 * indicator to the next, since they are rare: one big regex with line anchors cost 20 µs per file.
 */
export function usesRiskyYaml(text: string): boolean {
  if (text.startsWith('---') || text.startsWith('...') || text.includes('\n---') || text.includes('\n...')) return true;
  INDICATOR.lastIndex = 0;
  for (let m = INDICATOR.exec(text); m; m = INDICATOR.exec(text)) {
    const c = m[0];
    if (c === '\t') return true;
    if (c === '<') {
      if (text[m.index + 1] === '<') return true;
      continue;
    }
    let j = m.index - 1;
    while (j >= 0 && text[j] === ' ') j--;
    const before = j < 0 ? '\n' : text[j]!;
    if (c === '?') {
      if (before === '\n' && /[ \n]/.test(text[m.index + 1] ?? '\n')) return true;
      continue;
    }
    if (before === '\n' || before === ':' || before === '-' || before === '[' || before === '{' || before === ',') return true;
  }
  return false;
}
/** What YAML 1.2's core schema reads as null, bool, int or float when written plain. */
const CORE_NON_STRING = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))?$/;
const SCHEMA_VERSION_LINE = /^schema_version:[ \t]*1[ \t]*(?:#.*)?$/m;

/** The parsed value when the text is plain enough for both parsers to agree; undefined otherwise. */
export function fastParse(text: string): Record<string, unknown> | undefined {
  if (usesRiskyYaml(text) || !SCHEMA_VERSION_LINE.test(text)) return undefined;
  // The plainest YAML (nearly every manifest) without js-yaml; the rest through it (simple-yaml.ts).
  let value: unknown = simpleYaml(text);
  if (value === undefined) {
    try {
      value = jsyaml.load(text, JS_YAML_OPTIONS);
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !plainLeaves(value, 0)) return undefined;
  return value as Record<string, unknown>;
}

/** Every string leaf is one YAML 1.2 also reads as a string; numbers only where the shape checks them. */
function plainLeaves(v: unknown, depth: number): boolean {
  if (depth > 8) return false;
  if (typeof v === 'string') return !CORE_NON_STRING.test(v);
  if (Array.isArray(v)) return v.every((x) => plainLeaves(x, depth + 1));
  if (v !== null && typeof v === 'object') {
    if (Object.getPrototypeOf(v) !== Object.prototype) return false;
    return Object.values(v).every((x) => plainLeaves(x, depth + 1));
  }
  return typeof v === 'boolean' || typeof v === 'number';
}

/** A locator for the fast path: any problem found there sends the file to the full validator anyway. */
export const NO_POSITIONS: ParsedYaml = { value: undefined, problems: [], locate: () => ({ line: 1, column: 1 }) };
