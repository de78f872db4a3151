/**
 * The catalogues: pipeline/catalog/firearm-types.yaml and core-kpis.yaml.
 * Validated like manifests (same YAML safety, same shape messages) plus unique ids.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { firearmCatalogSchema, kpiCatalogSchema, type Catalog, type CoreKpi, type FirearmType } from '../schema/manifest.ts';
import { MAX_MANIFEST_BYTES, decodeManifestBytes } from './decode.ts';
import { readManifestFile } from './read-file.ts';
import { shapeProblems } from './shape.ts';
import { parseYamlSafely } from './yaml-safe.ts';
import type { ProblemCode } from './problem-codes.ts';
import type { Problem } from './types.ts';

export const FIREARM_CATALOG_FILE = 'pipeline/catalog/firearm-types.yaml';
export const KPI_CATALOG_FILE = 'pipeline/catalog/core-kpis.yaml';

const CATALOG_DIR = 'pipeline/catalog';

const whole = (file: string, code: ProblemCode, message: string): Problem => ({ file, line: 1, column: 1, path: '', code, message });

/** The catalogue folder itself must not be a link either (O_NOFOLLOW guards only the last name). */
async function catalogDirIsLink(repoRoot: string): Promise<boolean> {
  try {
    return (await lstat(path.join(repoRoot, CATALOG_DIR))).isSymbolicLink();
  } catch {
    return false; // missing: each file then reports itself missing
  }
}

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

/**
 * Reads and validates both catalogues from a repository. A missing file is an error, not a throw.
 * Read like manifests (read-file.ts): a symbolic link (to a secret file, or to /dev/zero), a FIFO
 * or a device is refused without being read, and so is a file over 256 KiB; the YAML rules are
 * the manifests'. No problem quotes the file beyond the offending token.
 */
export async function loadCatalog(repoRoot: string): Promise<LoadedCatalog> {
  const linkedDir = await catalogDirIsLink(repoRoot);
  const read = async (file: string): Promise<{ text?: string; error?: Problem }> => {
    if (linkedDir) return { error: whole(file, 'symlink', `${CATALOG_DIR} is a symbolic link. Catalogues must be real files in the repository: replace the link with the folder itself (restore it from the main branch).`) };
    const outcome = await readManifestFile(path.join(repoRoot, file));
    switch (outcome.kind) {
      case 'bytes': {
        const decoded = decodeManifestBytes(outcome.bytes, file);
        return decoded.ok ? { text: decoded.text } : { error: decoded.problem };
      }
      case 'too_large':
        return { error: whole(file, 'file_too_large', `the catalogue is ${outcome.size} bytes; catalogues are at most ${MAX_MANIFEST_BYTES} bytes (256 KiB), like manifests. Shorten the descriptions.`) };
      case 'not_a_file':
        return { error: whole(file, 'not_a_file', `${file} is not a regular file (a FIFO, a device or a folder?). Restore the catalogue file from the main branch.`) };
      case 'error':
        if (outcome.code === 'ELOOP') {
          return { error: whole(file, 'symlink', `${file} is a symbolic link. Catalogues must be real files in the repository: replace the link with the file itself (restore it from the main branch).`) };
        }
        return { error: whole(file, outcome.code === 'ENOENT' ? 'missing_catalog' : 'read_error', `cannot read the catalogue (${outcome.code}). Restore ${file} from the main branch.`) };
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
