/**
 * `new <slug>`: copies _template/ to connectors/<slug>/ and fills what the command knows
 * (provider_slug, the secret key prefix, and display_name / auth_mode when given). Everything else
 * stays TODO, so the new manifest fails validation until an author fills it.
 */
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AUTH_MODES, SLUG_PATTERN, type AuthMode } from '../schema/manifest.ts';
import { secretKeyPrefix } from '../validate/rules.ts';

export interface ScaffoldOptions {
  repoRoot: string;
  slug: string;
  displayName?: string;
  authMode?: string;
}

export type ScaffoldResult =
  | { ok: true; folder: string; files: string[] }
  | { ok: false; code: 'invalid_slug' | 'invalid_auth_mode' | 'invalid_display_name' | 'exists' | 'no_template'; message: string };

/** Template files that stay in _template/: the JSON Schema is shared, not copied. */
const NOT_COPIED = new Set(['manifest.schema.json', 'node_modules']);

export function checkSlug(slug: string): string | undefined {
  if (SLUG_PATTERN.test(slug)) return undefined;
  const hint = /^[a-z0-9_-]+$/i.test(slug) && slug.length > 1 ? ` Try "${slug.toLowerCase().replace(/-/g, '_').replace(/^[^a-z]+/, '')}".` : '';
  return `"${slug}" is not a valid connector slug: it must match ^[a-z][a-z0-9_]{1,62}$ (start with a lower-case letter; lower case, digits and underscores; 2 to 63 characters).${hint}`;
}

/** A YAML scalar for text given on the command line: plain when safe, double-quoted otherwise. */
const yamlText = (s: string) => (/^[A-Za-z][A-Za-z0-9 ._()-]*$/.test(s) && !/ $/.test(s) ? s : JSON.stringify(s));

/** Fills the template manifest's known values. Pure; exported for tests. */
export function fillTemplateManifest(text: string, opts: { slug: string; displayName?: string; authMode?: AuthMode }): string {
  let out = text
    .replace(/^provider_slug:.*$/m, `provider_slug: ${opts.slug}`)
    .replace(/^(\s*- key: )TODO_PROVIDER_SLUG_FIELD\b/m, `$1${secretKeyPrefix(opts.slug)}TODO`);
  if (opts.displayName !== undefined) out = out.replace(/^display_name:.*$/m, `display_name: ${yamlText(opts.displayName)}`);
  if (opts.authMode !== undefined) out = out.replace(/^auth_mode:.*$/m, `auth_mode: ${opts.authMode}`);
  // auth_mode none takes no secrets: drop the example entry.
  if (opts.authMode === 'none') out = out.replace(/^secrets:\n(?:[ \t]+.*\n)+/m, 'secrets: []\n');
  return out;
}

export async function scaffoldConnector(opts: ScaffoldOptions): Promise<ScaffoldResult> {
  const slugProblem = checkSlug(opts.slug);
  if (slugProblem) return { ok: false, code: 'invalid_slug', message: slugProblem };
  if (opts.authMode !== undefined && !(AUTH_MODES as readonly string[]).includes(opts.authMode)) {
    return { ok: false, code: 'invalid_auth_mode', message: `--auth-mode must be one of ${AUTH_MODES.join(', ')}, not "${opts.authMode}".` };
  }
  if (opts.displayName !== undefined && (!opts.displayName.trim() || opts.displayName.length > 80 || /[\x00-\x1f]/.test(opts.displayName))) {
    return { ok: false, code: 'invalid_display_name', message: '--display-name must be 1 to 80 characters on one line, not blank.' };
  }
  const template = path.join(opts.repoRoot, '_template');
  let entries: string[];
  try {
    entries = (await readdir(template)).filter((name) => !NOT_COPIED.has(name));
  } catch {
    return { ok: false, code: 'no_template', message: `${template} is missing: restore _template/ from the main branch.` };
  }
  if (!entries.includes('manifest.yaml')) return { ok: false, code: 'no_template', message: `${template}/manifest.yaml is missing: restore it from the main branch.` };

  const rel = `connectors/${opts.slug}`;
  const folder = path.join(opts.repoRoot, rel);
  await mkdir(path.join(opts.repoRoot, 'connectors'), { recursive: true });
  try {
    // Not recursive: fails with EEXIST on an existing folder, file or symbolic link, atomically.
    await mkdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return { ok: false, code: 'exists', message: `${rel} already exists. Pick another slug, or edit ${rel}/manifest.yaml instead.` };
    }
    throw err;
  }
  try {
    for (const name of entries) {
      await cp(path.join(template, name), path.join(folder, name), {
        recursive: true,
        filter: (src) => !src.split(path.sep).includes('node_modules'),
      });
    }
    const manifestFile = path.join(folder, 'manifest.yaml');
    const filled = fillTemplateManifest(await readFile(manifestFile, 'utf8'), {
      slug: opts.slug, displayName: opts.displayName, authMode: opts.authMode as AuthMode | undefined,
    });
    await writeFile(manifestFile, filled);
  } catch (err) {
    await rm(folder, { recursive: true, force: true });
    throw err;
  }
  return { ok: true, folder: rel, files: (await readdir(folder, { recursive: true })).map(String).sort() };
}
