/**
 * One manifest, from text to problems: YAML safety, the zod shape, then the rules beyond the shape.
 * Pure: no file system, so tests, the worker pool and other parts call it directly.
 */
import { manifestSchema, type Catalog, type Manifest } from '../schema/manifest.ts';
import { canonicalJson, connectorDigestOfJson } from '../schema/digest.ts';
import { decodeManifestBytes } from './decode.ts';
import { NO_POSITIONS, fastParse } from './fast-path.ts';
import { parsedConnector } from './parsed-connector.ts';
import { manifestRules } from './rules.ts';
import { shapeProblems } from './shape.ts';
import { newSuggestBudget } from './suggest.ts';
import { parseYamlSafely, type Position } from './yaml-safe.ts';
import type { Problem, ValidConnector } from './types.ts';

export interface ManifestResult {
  errors: Problem[];
  warnings: Problem[];
  /** Present when the manifest has no errors (unless the caller asked for none: TextCheckOptions.connector). */
  connector?: ValidConnector;
  /** provider_slug as written (when it is a string), for the cross-file duplicate check. */
  declaredSlug?: DeclaredSlug;
  /**
   * secrets[].key as written (the strings that are not placeholders) with their index in secrets,
   * for the cross-file rule that a key name belongs to one connector (secret-keys.ts). Without
   * positions, so the fast path and the full validator agree: they are located only when a key
   * turns out to be shared.
   */
  declaredKeys?: DeclaredKey[];
}

export interface DeclaredSlug {
  slug: string;
  /**
   * Where it is written. Absent for an unchanged manifest that was not parsed: its slug is its
   * folder's, and it is located in the file only if it turns out to be shared (repo.ts).
   */
  at?: Position;
}

export interface DeclaredKey {
  key: string;
  index: number;
}

export interface TextCheckOptions {
  /**
   * Compute the manifest digest of a valid manifest (default true). The folder check passes false:
   * it computes the connector digest itself, or none when the caller keeps only problems.
   * Without it a valid connector's `digest` is the empty string.
   */
  digest?: boolean;
  /**
   * Make the connector of a valid manifest (default true). False (a caller keeping only problems):
   * no connector, so no canonical JSON is made; the problems and declared names are the same.
   */
  connector?: boolean;
}

/** The connector of a valid manifest (parsed-connector.ts: held as its canonical JSON), unless the caller keeps only problems. */
function connectorOf(manifest: Manifest, file: string, opts: TextCheckOptions): ValidConnector | undefined {
  if (opts.connector === false) return undefined;
  const json = canonicalJson(manifest);
  // A manifest alone (no other file) has the manifest digest.
  return parsedConnector({ slug: manifest.provider_slug, file, digest: opts.digest === false ? '' : connectorDigestOfJson(json, []) }, json);
}

const byPosition = (a: Problem, b: Problem) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code);

/**
 * Validates one manifest's text. `file` is the path reported in problems (relative to the repo root);
 * `folderSlug` is the name of the folder under connectors/ that holds it.
 */
export function validateManifestText(text: string, file: string, catalog: Catalog, folderSlug: string, opts: TextCheckOptions = {}): ManifestResult {
  return fastAccept(text, file, catalog, folderSlug, opts) ?? validateManifestTextFully(text, file, catalog, folderSlug, opts);
}

/** The full positional validator alone, without the fast path (the reference the fast path is tested against). */
export function validateManifestTextFully(text: string, file: string, catalog: Catalog, folderSlug: string, opts: TextCheckOptions = {}): ManifestResult {
  const parsed = parseYamlSafely(text, file);
  if (!parsed.value) return { errors: parsed.problems.sort(byPosition), warnings: [] };
  const slug = parsed.value.provider_slug;
  const declaredSlug = typeof slug === 'string' ? { slug, at: parsed.locate(['provider_slug']) } : undefined;
  const declaredKeys = keysOf(parsed.value.secrets);

  // One "did you mean" budget for the whole file: hostile input gets fewer suggestions, not more time.
  const budget = newSuggestBudget();
  const shape = shapeProblems(manifestSchema, parsed.value, parsed, file, budget);
  const rules = manifestRules(parsed.value, parsed, file, catalog, folderSlug, budget);
  // A field still holding TODO gets one clear message, not also "expected boolean" or "bad prefix".
  const noise = (p: Problem) => p.code !== 'todo_placeholder' && rules.placeholderPaths.has(p.path);
  const errors = [...parsed.problems, ...shape.problems, ...rules.errors].filter((p) => !noise(p)).sort(byPosition);
  const warnings = rules.warnings.sort(byPosition);
  if (errors.length) return { errors, warnings, declaredSlug, declaredKeys };

  return { errors, warnings, declaredSlug, declaredKeys, connector: connectorOf(shape.data as Manifest, file, opts) };
}

/** A clean manifest without positions (see fast-path.ts), or undefined to run the full validator. */
function fastAccept(text: string, file: string, catalog: Catalog, folderSlug: string, opts: TextCheckOptions): ManifestResult | undefined {
  const value = fastParse(text);
  if (!value) return undefined;
  const shape = manifestSchema.safeParse(value);
  if (!shape.success) return undefined;
  // No suggestions here: any problem sends the file to the full validator, which words the messages.
  const rules = manifestRules(value, NO_POSITIONS, file, catalog, folderSlug, newSuggestBudget(0));
  if (rules.errors.length || rules.warnings.length) return undefined;
  const manifest = shape.data;
  return {
    errors: [], warnings: [],
    declaredSlug: { slug: manifest.provider_slug, at: lineOf(text, /^provider_slug:[ \t]*["']?/m) },
    declaredKeys: keysOf(manifest.secrets),
    connector: connectorOf(manifest, file, opts),
  };
}

/** The string keys of a secrets list (as parsed, any shape), skipping scaffold placeholders. */
function keysOf(secrets: unknown): DeclaredKey[] {
  if (!Array.isArray(secrets)) return [];
  const keys: DeclaredKey[] = [];
  secrets.forEach((s: unknown, index) => {
    const key = (s as { key?: unknown } | null)?.key;
    if (typeof key === 'string' && key !== '' && !/(^|_)TODO(_|$)/.test(key)) keys.push({ key, index });
  });
  return keys;
}

/** Line and column just after a match: where provider_slug's value starts. */
function lineOf(text: string, re: RegExp): Position {
  const m = re.exec(text);
  if (!m) return { line: 1, column: 1 };
  const before = text.slice(0, m.index);
  return { line: before.split('\n').length, column: m[0].length + 1 };
}

/** The same from raw bytes: refuses oversized files and invalid UTF-8 first. */
export function validateManifestBytes(bytes: Uint8Array, file: string, catalog: Catalog, folderSlug: string, opts: TextCheckOptions = {}): ManifestResult {
  const decoded = decodeManifestBytes(bytes, file);
  if (!decoded.ok) return { errors: [decoded.problem], warnings: [] };
  return validateManifestText(decoded.text, file, catalog, folderSlug, opts);
}
