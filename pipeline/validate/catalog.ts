/**
 * The catalogues: pipeline/catalog/firearm-types.yaml and core-kpis.yaml.
 * Validated like manifests (same YAML safety, same shape messages) plus unique ids.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { firearmCatalogSchema, kpiCatalogSchema, type Catalog, type CoreKpi, type FirearmType } from '../schema/manifest.ts';
import { decodeManifestBytes } from './decode.ts';
import { shapeProblems } from './shape.ts';
import { parseYamlSafely } from './yaml-safe.ts';
import type { Problem } from './types.ts';

export const FIREARM_CATALOG_FILE = 'pipeline/catalog/firearm-types.yaml';
export const KPI_CATALOG_FILE = 'pipeline/catalog/core-kpis.yaml';

export type CatalogKind = 'firearm_types' | 'core_kpis';

export interface CatalogFileResult<T> {
  errors: Problem[];
  /** The entries, or an empty list when the file has errors. */
  entries: T[];
}

export function validateCatalogText(kind: 'firearm_types', text: string, file: string): CatalogFileResult<FirearmType>;
export function validateCatalogText(kind: 'core_kpis', text: string, file: string): CatalogFileResult<CoreKpi>;
export function validateCatalogText(kind: CatalogKind, text: string, file: string): CatalogFileResult<FirearmType | CoreKpi> {
  const parsed = parseYamlSafely(text, file);
  if (!parsed.value) return { errors: parsed.problems, entries: [] };
  const schema = kind === 'firearm_types' ? firearmCatalogSchema : kpiCatalogSchema;
  const shape = shapeProblems(schema, parsed.value, parsed, file);
  const errors = [...parsed.problems, ...shape.problems];
  const raw = parsed.value[kind];
  const seen = new Map<string, number>();
  (Array.isArray(raw) ? raw : []).forEach((entry: unknown, i) => {
    const id = (entry as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    const first = seen.get(id);
    if (first !== undefined) {
      errors.push({ file, ...parsed.locate([kind, i, 'id']), path: `${kind}[${i}].id`, code: 'duplicate_catalog_id', message: `the id "${id}" is already declared in ${kind}[${first}]. Catalogue ids are unique: remove or rename the duplicate.` });
    } else seen.set(id, i);
  });
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  if (errors.length) return { errors, entries: [] };
  return { errors, entries: (shape.data as Record<CatalogKind, (FirearmType | CoreKpi)[]>)[kind] };
}

export interface LoadedCatalog {
  catalog: Catalog;
  errors: Problem[];
  /** How many catalogue files were read. */
  checked: number;
}

/** Reads and validates both catalogues from a repository. A missing file is an error, not a throw. */
export async function loadCatalog(repoRoot: string): Promise<LoadedCatalog> {
  const read = async (file: string): Promise<{ text?: string; error?: Problem }> => {
    try {
      const decoded = decodeManifestBytes(await readFile(path.join(repoRoot, file)), file);
      return decoded.ok ? { text: decoded.text } : { error: decoded.problem };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return { error: { file, line: 1, column: 1, path: '', code: 'missing_catalog', message: `cannot read the catalogue (${code ?? (err as Error).message}). Restore ${file} from the main branch.` } };
    }
  };
  const [fa, kp] = await Promise.all([read(FIREARM_CATALOG_FILE), read(KPI_CATALOG_FILE)]);
  const firearms = fa.text !== undefined ? validateCatalogText('firearm_types', fa.text, FIREARM_CATALOG_FILE) : { errors: [fa.error!], entries: [] };
  const kpis = kp.text !== undefined ? validateCatalogText('core_kpis', kp.text, KPI_CATALOG_FILE) : { errors: [kp.error!], entries: [] };
  return {
    catalog: { firearmTypes: firearms.entries, coreKpis: kpis.entries },
    errors: [...firearms.errors, ...kpis.errors],
    checked: 2,
  };
}
