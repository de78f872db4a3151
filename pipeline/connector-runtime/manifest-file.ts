/**
 * Reads the connector's own manifest.yaml and parses it with the one zod schema.
 *
 * The full validator (pipeline/validate) has run before a connector is registered; this is the
 * shape check a connector does for itself at start, so a broken file fails with a clear message
 * instead of half-registered tools.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { manifestSchema, type Manifest } from '../schema/manifest.ts';

export type ManifestFileResult = { ok: true; manifest: Manifest } | { ok: false; message: string };

/** Parses manifest text; `file` only labels the messages. */
export function parseManifestText(text: string, file: string): ManifestFileResult {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `${file}: ${e.message.split('\n')[0]}`);
    return { ok: false, message: `${lines.join('\n')}\nFix the YAML, then run npm run connectors -- validate.` };
  }
  const parsed = manifestSchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${file}: ${i.path.map(String).join('.') || '(top level)'}: ${i.message}`);
    return {
      ok: false,
      message: `${lines.join('\n')}\nRun npm run connectors -- validate for every problem with its line and column.`,
    };
  }
  return { ok: true, manifest: parsed.data };
}

export async function readManifestFile(path: string): Promise<ManifestFileResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, message: `${path}: cannot read the connector's manifest (${code}); it must sit next to server.ts.` };
  }
  return parseManifestText(text, path);
}
