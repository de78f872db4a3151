/**
 * Reading a PR head as data: git objects copied byte for byte into a temp dir, symbolic links that
 * lead nowhere, submodules as empty folders, nothing outside the validator's roots, and paths or
 * sizes that could hurt refused before anything is written.
 */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLimits, copyEntries, fetchCommits, HEAD_ROOTS, listHeadTree, MAX_TREE_BYTES, MAX_TREE_ENTRIES, unsafePathReason, WITHHELD_LINK_TARGET, type TreeEntry } from '../head-tree.ts';
import { createRepo, type GitRepo } from './git-fixture.ts';

let repo: GitRepo;
let head: string;
let out: string;
/** Bytes that cross many pipe chunks, with every byte value, to prove the batch reader's framing. */
const BIG = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, i) => (i * 7919) % 256));

beforeAll(() => {
  repo = createRepo();
  repo.write({
    'package.json': '{"scripts":{"postinstall":"touch /tmp/x"}}',
    'README.md': 'not copied',
    'connectors/a/manifest.yaml': 'provider_slug: a\n',
    'connectors/a/run.sh': '#!/bin/sh\necho hi\n',
    'connectors/a/empty.txt': '',
    'pipeline/catalog/core-kpis.yaml': 'core_kpis: []\n',
    'pipeline/validate/index.ts': 'not copied',
    '_template/manifest.yaml': 'TODO\n',
  });
  repo.write({ 'connectors/big/data.bin': '' });
  writeFileSync(join(repo.root, 'connectors/big/data.bin'), BIG);
  symlinkSync('/etc/passwd', join(repo.root, 'connectors/a/passwd.yaml'));
  repo.git('add', '-A');
  repo.git('update-index', '--chmod=+x', 'connectors/a/run.sh');
  repo.git('update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},connectors/sub`);
  repo.git('commit', '-q', '-m', 'head');
  head = repo.git('rev-parse', 'HEAD');
  out = mkdtempSync(join(tmpdir(), 'cf-head-copy-'));
});

afterAll(() => {
  repo?.cleanup();
  rmSync(out, { recursive: true, force: true });
});

describe('the PR head copied as data', () => {
  let entries: TreeEntry[];
  beforeAll(async () => {
    const listed = await listHeadTree({ cwd: repo.root }, head);
    if (!listed.ok) throw new Error(listed.message);
    entries = listed.entries;
    const copied = await copyEntries({ cwd: repo.root }, entries, out);
    if (!copied.ok) throw new Error(copied.message);
  });

  it('takes only connectors/, _template/ and pipeline/catalog/', () => {
    expect(entries.every((e) => HEAD_ROOTS.some((r) => e.path.startsWith(`${r}/`)))).toBe(true);
    expect(readdirSync(out).sort()).toEqual(['_template', 'connectors', 'pipeline']);
    expect(readdirSync(join(out, 'pipeline'))).toEqual(['catalog']);
  });

  it('copies every byte, large files included, and keeps the executable bit as a mode only', () => {
    expect(readFileSync(join(out, 'connectors/big/data.bin')).equals(BIG)).toBe(true);
    expect(readFileSync(join(out, 'connectors/a/manifest.yaml'), 'utf8')).toBe('provider_slug: a\n');
    expect(readFileSync(join(out, 'connectors/a/empty.txt'), 'utf8')).toBe('');
    expect(statSync(join(out, 'connectors/a/run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(join(out, 'connectors/a/manifest.yaml')).mode & 0o111).toBe(0);
  });

  it('writes a symbolic link as one that points nowhere, never at its target', () => {
    const link = join(out, 'connectors/a/passwd.yaml');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(WITHHELD_LINK_TARGET);
    expect(() => readFileSync(link)).toThrow(/ENOENT/);
  });

  it('makes a submodule an empty folder', () => {
    expect(readdirSync(join(out, 'connectors/sub'))).toEqual([]);
  });

  it('never overwrites: a second copy into the same dir fails instead of following what is there', async () => {
    const again = await copyEntries({ cwd: repo.root }, entries, out);
    expect(again).toMatchObject({ ok: false, message: expect.stringContaining('EEXIST') });
  });
});

describe('fetching the head', () => {
  it('says which commit could not be fetched, and names no secret', async () => {
    const missing = 'f'.repeat(40);
    const r = await fetchCommits({ cwd: repo.root, auth: { serverUrl: 'https://github.example', token: 'ghs_CANARY' } }, 7, missing, null);
    expect(r).toMatchObject({ ok: false, message: expect.stringContaining(`the PR head ${missing} could not be fetched`) });
    expect(JSON.stringify(r)).not.toContain('CANARY');
  });

  it('needs no fetch when the commits are already there', async () => {
    expect(await fetchCommits({ cwd: repo.root }, 7, head, head)).toEqual({ ok: true, baseAvailable: true });
  });
});

describe('paths and sizes refused before anything is written', () => {
  it.each([
    ['connectors/../../etc/passwd', '".." component'],
    ['connectors/a/./b', '"." component'],
    ['connectors//a', '"" component'],
    ['/etc/passwd', 'absolute'],
    ['connectors/a/.git/config', '".git" component'],
    ['connectors/a/.GIT/hooks/post-checkout', '".git" component'],
    [`connectors/${'a'.repeat(5000)}`, 'longer than 4096'],
  ])('%s', (path, why) => {
    expect(unsafePathReason(path)).toContain(why);
    expect(checkLimits([{ mode: '100644', type: 'blob', oid: '0'.repeat(40), size: 1, path }])).toMatchObject({ ok: false });
  });

  it('more files or bytes than pr-comment reads as data', () => {
    const one = (i: number, size: number): TreeEntry => ({ mode: '100644', type: 'blob', oid: '0'.repeat(40), size, path: `connectors/a/f${i}` });
    expect(checkLimits([one(0, MAX_TREE_BYTES + 1)])).toMatchObject({ ok: false, message: expect.stringContaining('keep large files out of connector folders') });
    expect(checkLimits(Array.from({ length: MAX_TREE_ENTRIES + 1 }, (_, i) => one(i, 0)))).toMatchObject({ ok: false });
    expect(checkLimits([one(0, 10)])).toMatchObject({ ok: true });
  });
});
