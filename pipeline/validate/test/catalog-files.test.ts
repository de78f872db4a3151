/**
 * Catalogues are read like manifests: a symbolic link (to a secret, or to /dev/zero), a FIFO, a
 * device or an oversized file is refused without being read, the YAML rules are the manifests',
 * and nothing of the file shows up in a problem beyond the offending token. On real temporary
 * repositories, and through the real CLI for the secret-file case.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIREARM_CATALOG_FILE, KPI_CATALOG_FILE, loadCatalog } from '../catalog.ts';
import { MAX_MANIFEST_BYTES } from '../decode.ts';
import { formatHuman } from '../format.ts';
import { validateRepo } from '../repo.ts';
import { REPO_ROOT } from './helpers.ts';
import { makeRepo, manifestFor, type TempRepo } from './fs-helpers.ts';

const CANARY = 'CANARY-catalogue-7f3a91-do-not-echo';

let repo: TempRepo;
let outside: string;
beforeEach(async () => {
  repo = await makeRepo();
  await repo.write('connectors/acme/manifest.yaml', manifestFor('acme'));
  // A "secret" file outside the repository, shaped like /etc/passwd, with a canary line.
  outside = path.join(repo.root, '..', `${path.basename(repo.root)}-secret`);
  await writeFile(outside, `root:x:0:0:root:/root:/bin/bash\n${CANARY}:x:1000:1000::/home/canary:/bin/sh\n`);
});
afterEach(async () => {
  await repo.remove();
  await rm(outside, { force: true });
});

const firearms = () => path.join(repo.root, FIREARM_CATALOG_FILE);
/** Everything a user or a program could see of a validation: the human lines and the JSON. */
const everything = (r: Awaited<ReturnType<typeof validateRepo>>) => `${formatHuman(r)}\n${JSON.stringify(r)}`;

describe('catalogue files are read like manifests', () => {
  it('a catalogue replaced by a symbolic link to a secret file is refused, and no line of the secret shows', async () => {
    await rm(firearms());
    await symlink(outside, firearms());
    const r = await validateRepo({ repoRoot: repo.root });
    expect(r.ok).toBe(false);
    expect(r.errors).toContainEqual(expect.objectContaining({ file: FIREARM_CATALOG_FILE, code: 'symlink', line: 1, column: 1 }));
    expect(everything(r)).not.toContain(CANARY);
    expect(everything(r)).not.toContain('root:x:0:0');
  });

  it('a symbolic link to /dev/zero is refused at once, not read until memory runs out', async () => {
    await rm(firearms());
    await symlink('/dev/zero', firearms());
    const r = await loadCatalog(repo.root);
    expect(r.errors).toEqual([expect.objectContaining({ file: FIREARM_CATALOG_FILE, code: 'symlink' })]);
  });

  it('a FIFO in place of a catalogue is refused without waiting for a writer', async () => {
    await rm(firearms());
    execFileSync('mkfifo', [firearms()]);
    const r = await loadCatalog(repo.root);
    expect(r.errors).toEqual([expect.objectContaining({ file: FIREARM_CATALOG_FILE, code: 'not_a_file' })]);
  });

  it('a FIFO in place of a manifest is refused without waiting for a writer too', async () => {
    await rm(path.join(repo.root, 'connectors/acme/manifest.yaml'));
    execFileSync('mkfifo', [path.join(repo.root, 'connectors/acme/manifest.yaml')]);
    const r = await validateRepo({ repoRoot: repo.root });
    expect(r.errors).toEqual([expect.objectContaining({ file: 'connectors/acme/manifest.yaml', code: 'manifest_not_a_file' })]);
    expect(r.errors[0]!.message).toContain('is not a regular file');
  });

  it.skipIf(process.getuid?.() !== 0)('a character device in place of a catalogue is refused without being read', async () => {
    await rm(firearms());
    execFileSync('mknod', [firearms(), 'c', '1', '5']); // the numbers of /dev/zero
    const r = await loadCatalog(repo.root);
    expect(r.errors).toEqual([expect.objectContaining({ file: FIREARM_CATALOG_FILE, code: 'not_a_file' })]);
  });

  it('a catalogue folder that is a symbolic link is refused for both files', async () => {
    const real = path.join(repo.root, 'pipeline', 'catalog-real');
    await rename(path.join(repo.root, 'pipeline', 'catalog'), real);
    await symlink(real, path.join(repo.root, 'pipeline', 'catalog'));
    const r = await loadCatalog(repo.root);
    expect(r.errors.map((e) => [e.file, e.code])).toEqual([[FIREARM_CATALOG_FILE, 'symlink'], [KPI_CATALOG_FILE, 'symlink']]);
  });

  it('a catalogue over 256 KiB is refused with its size, like a manifest', async () => {
    const padding = `# ${'x'.repeat(MAX_MANIFEST_BYTES)}\n`;
    await writeFile(firearms(), `${padding}schema_version: 1\nfirearm_types: []\n`);
    const r = await loadCatalog(repo.root);
    expect(r.errors).toEqual([expect.objectContaining({ file: FIREARM_CATALOG_FILE, code: 'file_too_large' })]);
  });

  it('an alias bomb in a catalogue fails fast with alias_limit', async () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g'], ['g', 'h'], ['h', 'i']]) {
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    await writeFile(firearms(), `schema_version: 1\n${laughs.join('\n')}\nfirearm_types: []\n`);
    const r = await loadCatalog(repo.root);
    expect(r.errors.map((e) => e.code)).toContain('alias_limit');
  });

  it('duplicate keys and custom tags are refused as in manifests', async () => {
    await writeFile(firearms(), 'schema_version: 1\nschema_version: 1\nfirearm_types: !!binary aGk=\n');
    const r = await loadCatalog(repo.root);
    expect(r.errors.map((e) => e.code)).toEqual(expect.arrayContaining(['duplicate_key', 'custom_tag']));
  });

  it('a problem quotes the offending token, not the rest of the file', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => `  - id: TYPE_${i}\n    label: Type ${i}\n    description: ${CANARY} line ${i}\n`).join('');
    await writeFile(firearms(), `schema_version: 1\nfirearm_typos: 1\nfirearm_types:\n${entries}`);
    const r = await validateRepo({ repoRoot: repo.root });
    expect(r.errors).toContainEqual(expect.objectContaining({ file: FIREARM_CATALOG_FILE, code: 'unknown_field', line: 2, column: 1 }));
    expect(everything(r)).toContain('firearm_typos');
    expect(everything(r)).not.toContain(CANARY);
  });

  it('through the CLI: a symlinked catalogue exits 1 and neither the lines nor --json show the secret', async () => {
    await mkdir(path.join(repo.root, '_template'), { recursive: true });
    await rm(firearms());
    await symlink(outside, firearms());
    const run = promisify(execFile);
    const cli = async (args: string[]) => {
      try {
        return { code: 0, ...(await run(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), [path.join(REPO_ROOT, 'pipeline/cli/main.ts'), ...args], { cwd: repo.root, env: { ...process.env, GITHUB_ACTIONS: '', CONNECTORS_REPO_ROOT: '' } })) };
      } catch (err) {
        return err as { code: number; stdout: string; stderr: string };
      }
    };
    const [human, json] = await Promise.all([cli(['validate']), cli(['validate', '--json'])]);
    expect(human.code).toBe(1);
    expect(json.code).toBe(1);
    expect(human.stdout).toContain(`${FIREARM_CATALOG_FILE}:1:1 `);
    expect(JSON.parse(json.stdout).errors).toContainEqual(expect.objectContaining({ code: 'symlink', file: FIREARM_CATALOG_FILE }));
    for (const out of [human.stdout, human.stderr, json.stdout, json.stderr]) expect(out).not.toContain(CANARY);
  });
});
