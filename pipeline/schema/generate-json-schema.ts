/**
 * Generates _template/manifest.schema.json from the zod manifest schema, for editors
 * (the `# yaml-language-server: $schema=...` line in every manifest). `npm run schema` rewrites it;
 * a test fails when the committed file differs from what this renders.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { manifestSchema } from './manifest.ts';

export const JSON_SCHEMA_FILE = '_template/manifest.schema.json';

/** The JSON Schema text: the input side (defaults make fields optional), stable key order, newline. */
export function renderManifestJsonSchema(): string {
  const schema = z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-2020-12' });
  const withTitle = { ...schema, $id: 'https://connector-factory.local/manifest.schema.json', title: 'Connector manifest (schema version 1)' };
  return `${JSON.stringify(withTitle, null, 2)}\n`;
}

export async function writeManifestJsonSchema(repoRoot: string): Promise<string> {
  const file = path.join(repoRoot, JSON_SCHEMA_FILE);
  await writeFile(file, renderManifestJsonSchema());
  return file;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  writeManifestJsonSchema(repoRoot).then(
    (file) => process.stdout.write(`wrote ${path.relative(repoRoot, file)}\n`),
    (err: unknown) => {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
