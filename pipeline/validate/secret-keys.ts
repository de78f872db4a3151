/**
 * A key name belongs to one connector: two manifests declaring the same `secrets[].key` is an
 * error on both files, each naming the other's line and column. The prefix rule alone does not
 * make names unique (PROVIDER_DUMMY_SERVICE_API_KEY fits `dummy_service` and `dummy_service_api`),
 * and a key name is one file in the vault: the second connector would read and overwrite the
 * first one's key.
 *
 * Checked over the whole tree even when only some folders were named (their keys are read
 * cheaply, by a line match). Manifests skipped as unchanged since the last sync are not parsed
 * here; their keys are the registry's, which the sentinel checks (pipeline/sentinel/key-owners.ts).
 */
import path from 'node:path';
import { decodeManifestBytes } from './decode.ts';
import type { ManifestResult } from './manifest.ts';
import { readManifestFile } from './read-file.ts';
import type { Problem } from './types.ts';
import { parseYamlSafely, type Position } from './yaml-safe.ts';

interface Declaration {
  folder: string;
  index: number;
  /** Absent until located: validation keeps no positions for keys (manifest.ts DeclaredKey). */
  at?: Position;
  /** A folder validated in this run (problems are reported only on those). */
  checked: boolean;
}

const manifestOf = (folder: string) => `connectors/${folder}/manifest.yaml`;

export async function sharedSecretKeys(repoRoot: string, folders: string[], allFolders: string[], results: ManifestResult[]): Promise<Problem[]> {
  const byKey = new Map<string, Declaration[]>();
  const note = (key: string, d: Declaration) => {
    const list = byKey.get(key);
    if (list) list.push(d);
    else byKey.set(key, [d]);
  };
  folders.forEach((folder, i) => {
    for (const k of results[i]?.declaredKeys ?? []) note(k.key, { folder, index: k.index, checked: true });
  });
  const checked = new Set(folders);
  const others = allFolders.filter((f) => !checked.has(f));
  for (let i = 0; i < others.length; i += 16) {
    const batch = others.slice(i, i + 16);
    const keys = await Promise.all(batch.map((folder) => quickKeys(repoRoot, folder)));
    batch.forEach((folder, j) => {
      for (const k of keys[j]!) note(k.key, { folder, index: -1, at: { line: k.line, column: k.column }, checked: false });
    });
  }

  const problems: Problem[] = [];
  const located = new Map<string, Promise<Map<number, Position>>>();
  // Validated without keeping positions (rare to need them): found now that they matter.
  const locate = async (d: Declaration): Promise<Position> => {
    if (!located.has(d.folder)) located.set(d.folder, locateSecretKeys(repoRoot, d.folder));
    return (await located.get(d.folder)!).get(d.index) ?? { line: 1, column: 1 };
  };
  for (const [key, list] of byKey) {
    if (list.length < 2 || new Set(list.map((d) => d.folder)).size < 2) continue; // twice in one manifest: duplicate_secret_key says so
    for (const d of list) d.at ??= await locate(d);
    for (const d of list) {
      if (!d.checked) continue;
      const elsewhere = list.filter((x) => x.folder !== d.folder).map((x) => `${manifestOf(x.folder)}:${x.at!.line}:${x.at!.column}`);
      problems.push({
        file: manifestOf(d.folder), line: d.at!.line, column: d.at!.column, path: `secrets[${d.index}].key`, code: 'secret_key_shared',
        message: `secret key "${key}" is also declared by ${elsewhere.join(', ')}. A key name belongs to one connector: it names one file in the vault, so the other connector would read and overwrite this one's key. Rename the key in one of the manifests (PROVIDER_<SLUG>_<FIELD> with that manifest's own slug and a field name no other connector uses).`,
      });
    }
  }
  return problems;
}

/** Where each secrets[i].key of a manifest is, by index (empty when the file cannot be read or parsed). */
export async function locateSecretKeys(repoRoot: string, folder: string): Promise<Map<number, Position>> {
  const found = new Map<number, Position>();
  const read = await readManifestFile(path.join(repoRoot, 'connectors', folder, 'manifest.yaml'));
  if (read.kind !== 'bytes') return found;
  const decoded = decodeManifestBytes(read.bytes, manifestOf(folder));
  if (!decoded.ok) return found;
  const parsed = parseYamlSafely(decoded.text, manifestOf(folder));
  const secrets = parsed.value?.secrets;
  if (Array.isArray(secrets)) secrets.forEach((_, i) => found.set(i, parsed.locate(['secrets', i, 'key'])));
  return found;
}

/** `- key: NAME` / `key: NAME` lines: enough for the cross-file check of folders not named. */
const KEY_LINE = /^([ \t]*(?:-[ \t]+)?key:[ \t]*(["']?))([A-Z0-9_]{1,128})\2[ \t]*(?:#.*)?$/gm;

async function quickKeys(repoRoot: string, folder: string): Promise<{ key: string; line: number; column: number }[]> {
  const read = await readManifestFile(path.join(repoRoot, 'connectors', folder, 'manifest.yaml'));
  if (read.kind !== 'bytes') return [];
  const decoded = decodeManifestBytes(read.bytes, manifestOf(folder));
  if (!decoded.ok) return [];
  const text = decoded.text;
  const keys: { key: string; line: number; column: number }[] = [];
  let line = 1;
  let counted = 0;
  for (const m of text.matchAll(KEY_LINE)) {
    for (let i = counted; i < m.index; i++) if (text.charCodeAt(i) === 10) line++;
    counted = m.index;
    keys.push({ key: m[3]!, line, column: m[1]!.length + 1 });
  }
  return keys;
}
