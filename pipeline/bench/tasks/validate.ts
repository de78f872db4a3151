/**
 * validate_s: one cold validateRepo of the whole generated tree (module loading not counted).
 * validate_floor_s: reading the same data as JSON files in the same layout and JSON.parse of each,
 * the least any validator must do.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { readManifests, secondsSince } from '../files.ts';

export interface ValidateOutcome {
  seconds: number;
  checked: number;
}

export async function validateTask(input: { repoRoot: string }): Promise<ValidateOutcome> {
  const { validateRepo } = await import('../../validate/index.ts');
  const start = performance.now();
  const result = await validateRepo({ repoRoot: input.repoRoot, keep: 'problems' }); // as `validate` runs it
  const seconds = secondsSince(start);
  if (!result.ok) {
    const first = result.errors[0];
    throw new Error(`the generated tree did not validate (${result.errors.length} errors; first: ${first?.file}:${first?.line} ${first?.code}: ${first?.message})`);
  }
  return { seconds, checked: result.checked };
}

export async function validateFloorTask(input: { jsonRoot: string }): Promise<ValidateOutcome> {
  const start = performance.now();
  let checked = 0;
  const catalogDir = path.join(input.jsonRoot, 'pipeline/catalog');
  for (const file of await readdir(catalogDir)) {
    JSON.parse(await readFile(path.join(catalogDir, file), 'utf8'));
    checked++;
  }
  await readManifests(input.jsonRoot, 'manifest.json', (text) => {
    JSON.parse(text);
    checked++;
  });
  return { seconds: secondsSince(start), checked };
}
