/**
 * Turns zod issues into Problems with positions, stable codes and messages that say what to do.
 * Works for any zod object schema (manifests and catalogues), so nothing restates a field list.
 */
import type { z } from 'zod';
import { didYouMean, newSuggestBudget, type SuggestBudget } from './suggest.ts';
import { clip } from './terminal-text.ts';
import { formatPath, type ParsedYaml, type PathSegment } from './yaml-safe.ts';
import type { ProblemCode } from './problem-codes.ts';
import type { Problem } from './types.ts';

type AnySchema = z.ZodType;
interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  innerType?: AnySchema;
}
const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema at a path, looking through optional/default wrappers, arrays and objects. */
function schemaAt(schema: AnySchema, path: readonly PathSegment[]): AnySchema | undefined {
  let cur: AnySchema | undefined = schema;
  for (const seg of [...path, null]) {
    while (cur && (defOf(cur).type === 'optional' || defOf(cur).type === 'default' || defOf(cur).type === 'nullable')) {
      cur = defOf(cur).innerType;
    }
    if (!cur || seg === null) return cur;
    const def = defOf(cur);
    cur = def.type === 'object' ? def.shape?.[String(seg)] : def.type === 'array' ? def.element : undefined;
  }
  return cur;
}

export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg as string];
  }
  return cur;
}

const describe = (v: unknown): string =>
  v === null ? 'null (an empty value)' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : typeof v === 'string' ? `the text ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}` : `${typeof v} ${String(v)}`;

const hintFor = (schema: AnySchema, path: readonly PathSegment[]): string => {
  const description = schemaAt(schema, path)?.description;
  return description ? ` (${description.replace(/\.$/, '')}.)` : '';
};

/** The schema's problems with `value`, or its parsed output (defaults applied) when there are none. */
/** `budget`: the file's "did you mean" budget (see suggest.ts), shared with the rules when given. */
export function shapeProblems(schema: AnySchema, value: unknown, parsed: ParsedYaml, file: string, budget: SuggestBudget = newSuggestBudget()): { problems: Problem[]; data?: unknown } {
  const result = schema.safeParse(value);
  if (result.success) return { problems: [], data: result.data };
  const problems: Problem[] = [];
  const push = (path: readonly PathSegment[], at: 'key' | 'value', code: ProblemCode, message: string) =>
    problems.push({ file, ...parsed.locate(path, at), path: formatPath(path), code, message });

  for (const issue of result.error.issues) {
    const path = issue.path as PathSegment[];
    const last = path.length ? String(path[path.length - 1]) : 'field';
    const input = valueAt(value, path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = Object.keys(defOf(schemaAt(schema, path)!).shape ?? {});
        for (const key of issue.keys) {
          push([...path, key], 'key', 'unknown_field', `unknown field "${clip(key)}".${didYouMean(key, known, budget)} Allowed here: ${known.join(', ')}.`);
        }
        break;
      }
      case 'invalid_value': {
        const allowed = issue.values.map((v) => String(v));
        if (input === undefined) {
          push(path, 'key', 'missing_field', `required field ${last} is missing: add it with one of ${allowed.join(', ')}.${hintFor(schema, path)}`);
        } else if (allowed.length === 1) {
          push(path, 'value', 'invalid_value', `must be ${allowed[0]}, not ${describe(input)}.`);
        } else {
          push(path, 'value', 'invalid_value', `must be one of ${allowed.join(', ')}, not ${describe(input)}.${didYouMean(String(input), allowed, budget)}`);
        }
        break;
      }
      case 'invalid_type': {
        if (input === undefined) {
          push(path, 'key', 'missing_field', `required field ${last} is missing: add it.${hintFor(schema, path)}`);
        } else if (issue.expected === 'boolean') {
          push(path, 'value', 'invalid_type', `must be a real boolean, unquoted true or false, not ${describe(input)} (YAML 1.2 reads yes/no/on/off and quoted "true" as text). Decide and write true or false.`);
        } else {
          const expected = issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`;
          push(path, 'value', 'invalid_type', `must be ${expected}, not ${describe(input)}.${hintFor(schema, path)}`);
        }
        break;
      }
      case 'too_small':
      case 'too_big': {
        const bound = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
        const unit = issue.origin === 'array' ? 'entries' : issue.origin === 'string' ? 'characters' : '';
        const custom = /^(Too small|Too big)/.test(issue.message) ? '' : ` (${issue.message})`;
        push(path, 'value', issue.code, `must have ${bound} ${unit}${custom}.${hintFor(schema, path)}`.replace(/ \./, '.'));
        break;
      }
      case 'invalid_format':
        // URL issues (pipeline/schema/url.ts) say what is wrong with the URL and what to do.
        if (issue.format === 'url') push(path, 'value', 'invalid_url', `${describe(input)} is not an allowed URL: ${issue.message}.`);
        else push(path, 'value', 'invalid_format', `${issue.message}, not ${describe(input)}.`);
        break;
      default:
        push(path, 'value', issue.message.includes('blank') ? 'blank_value' : 'invalid_value', `${issue.message}.`);
    }
  }
  return { problems };
}
