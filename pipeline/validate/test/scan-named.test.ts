/**
 * scanConnectors with `namedOnly`: the named folders are looked at one by one instead of listing
 * connectors/, and what it says of them is what a full listing says.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanConnectors } from '../scan.ts';

describe('scanConnectors, named folders only', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'scan-named-'));
    const c = path.join(root, 'connectors');
    for (const f of ['alpha', 'beta', 'Bad_Name', '.hidden']) mkdirSync(path.join(c, f), { recursive: true });
    writeFileSync(path.join(c, 'plain-file'), 'not a folder\n');
    symlinkSync(path.join(c, 'alpha'), path.join(c, 'linked'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('says of each named folder what the full listing says, and lists no other folder', async () => {
    const paths = ['connectors/alpha', 'connectors/linked', 'connectors/missing', 'connectors/.hidden', 'connectors/plain-file', 'connectors/Bad_Name/manifest.yaml', 'elsewhere/x'];
    const full = await scanConnectors(root, paths);
    const named = await scanConnectors(root, paths, { namedOnly: true });
    expect(named.folders).toEqual(full.folders);
    expect(named.errors).toEqual(full.errors);
    expect(named.folders).toEqual(['Bad_Name', 'alpha']);
    expect(named.errors.map((e) => [e.file, e.code]).sort()).toEqual([
      ['connectors/.hidden', 'connector_not_found'],
      ['connectors/Bad_Name', 'invalid_folder_name'],
      ['connectors/linked', 'symlink'],
      ['connectors/missing', 'connector_not_found'],
      ['connectors/plain-file', 'connector_not_found'],
      ['elsewhere/x', 'invalid_path'],
    ]);
    expect(full.allFolders).toContain('beta');
    expect(named.allFolders).not.toContain('beta');
  });

  it('without paths it lists connectors/ as before', async () => {
    expect((await scanConnectors(root, undefined, { namedOnly: true })).allFolders).toEqual(['Bad_Name', 'alpha', 'beta']);
  });
});
