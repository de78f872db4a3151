/**
 * `validate PATH`: a PATH that names no connector folder is said to be one (exit 2 in the CLI),
 * instead of a validation problem "at line 1" of a file that is not there. Real temp dirs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorPathProblems } from '../connector-paths.ts';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'cli-paths-'));
  mkdirSync(path.join(root, 'connectors', 'acme_shop'), { recursive: true });
  writeFileSync(path.join(root, 'connectors', 'acme_shop', 'manifest.yaml'), 'schema_version: 1\n');
  writeFileSync(path.join(root, 'connectors', 'stray.txt'), 'x');
  mkdirSync(path.join(root, 'pipeline'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const problems = (...paths: string[]) => connectorPathProblems(root, paths.map((p) => path.resolve(root, p)));

describe('validate PATH arguments', () => {
  it('a connector folder or its manifest is fine', async () => {
    expect(await problems('connectors/acme_shop', 'connectors/acme_shop/', 'connectors/acme_shop/manifest.yaml')).toEqual([]);
  });

  it('a connector that does not exist says so, with the closest one and how to start it', async () => {
    expect(await problems('connectors/acme_shp')).toEqual([
      'connectors/acme_shp does not exist: there is no connector "acme_shp". Did you mean acme_shop? To start one: npm run connectors -- new acme_shp',
    ]);
    expect(await problems('connectors/nope/manifest.yaml')).toEqual([
      'connectors/nope does not exist: there is no connector "nope". To start one: npm run connectors -- new nope',
    ]);
  });

  it('a path outside connectors/<slug> is not a connector folder; a missing one does not exist', async () => {
    expect(await problems('pipeline', 'nowhere/at/all', 'connectors/stray.txt')).toEqual([
      'pipeline is a folder, but not a connector folder. Pass connectors/<slug> or connectors/<slug>/manifest.yaml.',
      'nowhere/at/all does not exist. Pass connectors/<slug> or connectors/<slug>/manifest.yaml.',
      'connectors/stray.txt is a file, not a connector folder.',
    ]);
  });
});
