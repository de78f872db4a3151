/**
 * The connector digest covers the whole folder: every file by path and bytes, read from real temp
 * dirs. What could escape the digest (links, FIFOs, devices, node_modules) or leak a secret (.env)
 * is a validation error naming the file; editor droppings are left out; a huge folder has a limit.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { folderSourceSha256, readConnectorFolderSync, readKeptTexts } from '../connector-folder.ts';
import { MAX_FOLDER_BYTES, MAX_FOLDER_DEPTH, MAX_FOLDER_FILES, MAX_TEXT_BYTES } from '../folder-rules.ts';
import { validateRepo } from '../repo.ts';
import { makeRepo, manifestFor, type TempRepo } from './fs-helpers.ts';

let repo: TempRepo;
const SERVER = `import { runConnectorStdio } from '#connector-runtime';\nexport const x = 1;\n`;

beforeEach(async () => {
  repo = await makeRepo();
  await repo.write('connectors/shop/manifest.yaml', manifestFor('shop'));
  await repo.write('connectors/shop/server.ts', SERVER);
  await repo.write('connectors/shop/lib/handlers.ts', 'export const handlers = {};\n');
});
afterEach(() => repo.remove());

const folder = (p = 'shop') => path.join(repo.root, 'connectors', p);
const check = async () => validateRepo({ repoRoot: repo.root, workers: false });
const digestOf = async () => {
  const r = await check();
  expect(r.errors).toEqual([]);
  return r.connectors[0]!.digest;
};

describe('the connector digest covers every file of the folder', () => {
  it('lists every file with its path, sha256 and size, the manifest included', async () => {
    const r = await check();
    expect(r.errors).toEqual([]);
    expect(r.connectors[0]!.files!.map((f) => [f.path, f.size])).toEqual([
      ['lib/handlers.ts', 28],
      ['manifest.yaml', manifestFor('shop').length],
      ['server.ts', SERVER.length],
    ]);
  });

  it('editing server.ts, editing a nested file, adding, renaming or removing a file each change the digest', async () => {
    const seen = new Set([await digestOf()]);
    const step = async (change: () => Promise<unknown> | void) => {
      await change();
      const d = await digestOf();
      expect(seen.has(d)).toBe(false);
      seen.add(d);
    };
    await step(() => repo.write('connectors/shop/server.ts', SERVER.replace('= 1', '= 2')));
    await step(() => repo.write('connectors/shop/lib/handlers.ts', 'export const handlers = { leak: true };\n'));
    await step(() => repo.write('connectors/shop/lib/extra.ts', 'export {};\n'));
    await step(() => void execFileSync('mv', [path.join(folder(), 'lib/extra.ts'), path.join(folder(), 'lib/extra2.ts')]));
    await step(() => rmSync(path.join(folder(), 'lib/handlers.ts')));
  });

  it('a comment in the manifest keeps the digest (parsed canonically) but changes the source sha256', async () => {
    const before = (await check()).connectors[0]!;
    await repo.write('connectors/shop/manifest.yaml', `${manifestFor('shop')}# reviewed\n`);
    const after = (await check()).connectors[0]!;
    expect(after.digest).toBe(before.digest);
    expect(after.source_sha256).not.toBe(before.source_sha256);
  });

  it('a folder holding only its manifest has the manifest digest (approvals made before files were covered stay valid)', async () => {
    await repo.write('connectors/solo/manifest.yaml', manifestFor('solo'));
    const { validateManifestText } = await import('../manifest.ts');
    const r = await validateRepo({ repoRoot: repo.root, paths: ['connectors/solo'], workers: false });
    const fromText = validateManifestText(manifestFor('solo'), 'x', r.catalog, 'solo');
    expect(r.connectors[0]!.digest).toBe(fromText.connector!.digest);
  });

  it('editor and OS droppings are left out: a swap file, a backup, .DS_Store or a nested .git change nothing', async () => {
    const d = await digestOf();
    await repo.write('connectors/shop/.server.ts.swp', 'vim swap');
    await repo.write('connectors/shop/server.ts~', 'backup');
    await repo.write('connectors/shop/#server.ts#', 'emacs');
    await repo.write('connectors/shop/.DS_Store', 'mac');
    await repo.write('connectors/shop/.git/HEAD', 'ref: refs/heads/main\n');
    symlinkSync('user@host.1234', path.join(folder(), '.#server.ts')); // emacs lock: a dangling link
    expect(await digestOf()).toBe(d);
  });

  it('the same digest from the worker pool as from the main thread', async () => {
    const main = await digestOf();
    const pooled = await validateRepo({ repoRoot: repo.root, workers: 'always', pool: { workers: 1, spawnAboveMs: 0, mainThreadWorks: false } });
    expect(pooled.connectors[0]!.digest).toBe(main);
  });
});

describe('what a connector folder may not hold is an error naming the file, with a hint', () => {
  const errors = async () => (await check()).errors.map((e) => [e.file, e.code]);

  it('a symbolic link to a file, to a folder, or to /dev/zero (never read through, never hangs)', async () => {
    symlinkSync('/etc/hostname', path.join(folder(), 'config.ts'));
    symlinkSync('/etc', path.join(folder(), 'lib', 'etc'));
    symlinkSync('/dev/zero', path.join(folder(), 'zero.ts'));
    const r = await check();
    expect(r.errors.map((e) => [e.file, e.code])).toEqual([
      ['connectors/shop/config.ts', 'symlink'],
      ['connectors/shop/lib/etc', 'symlink'],
      ['connectors/shop/zero.ts', 'symlink'],
    ]);
    expect(r.errors[0]!.message).toMatch(/connectors\/shop\/config\.ts is a symbolic link\..*replace the link with the file itself/);
    expect(r.connectors).toEqual([]);
  });

  it('a FIFO, a unix socket and a character device are refused without being opened', async () => {
    execFileSync('mkfifo', [path.join(folder(), 'pipe.ts')]);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(folder(), 'sock'), resolve));
    try {
      const devices = process.getuid?.() === 0;
      if (devices) execFileSync('mknod', [path.join(folder(), 'zero'), 'c', '1', '5']);
      expect(await errors()).toEqual([
        ['connectors/shop/pipe.ts', 'not_a_regular_file'],
        ['connectors/shop/sock', 'not_a_regular_file'],
        ...(devices ? [['connectors/shop/zero', 'not_a_regular_file']] : []),
      ]);
    } finally {
      server.close();
    }
  });

  it('a node_modules folder (its packages would load instead of the reviewed ones) and a .env file', async () => {
    await repo.write('connectors/shop/node_modules/zod/index.js', 'module.exports = {}');
    await repo.write('connectors/shop/.env', 'PROVIDER_SHOP_API_KEY=sk_live_x\n');
    await repo.write('connectors/shop/.env.example', 'PROVIDER_SHOP_API_KEY=\n');
    const r = await check();
    expect(r.errors.map((e) => [e.file, e.code])).toEqual([
      ['connectors/shop/.env', 'secret_file'],
      ['connectors/shop/node_modules', 'node_modules_in_connector'],
    ]);
    expect(r.errors[0]!.message).toContain('Keys belong in the vault');
    expect(JSON.stringify(r.errors)).not.toContain('sk_live_x');
  });

  it('a file name with a control or bidirectional character', async () => {
    await repo.write('connectors/shop/evil\u202Egnp.ts', 'x');
    await repo.write('connectors/shop/bell\u0007.ts', 'x');
    expect((await errors()).map(([, code]) => code)).toEqual(['unsafe_file_name', 'unsafe_file_name']);
  });

  it(`more than ${MAX_FOLDER_FILES} files, more than ${MAX_FOLDER_BYTES / 1024 / 1024} MiB, or folders nested deeper than ${MAX_FOLDER_DEPTH}`, async () => {
    mkdirSync(path.join(folder(), 'many'));
    for (let i = 0; i < MAX_FOLDER_FILES; i++) writeFileSync(path.join(folder(), 'many', `f${i}.txt`), '');
    expect(await errors()).toEqual([['connectors/shop', 'folder_too_many_files']]);
    rmSync(path.join(folder(), 'many'), { recursive: true });

    writeFileSync(path.join(folder(), 'big.bin'), Buffer.alloc(MAX_FOLDER_BYTES));
    expect(await errors()).toEqual([['connectors/shop', 'folder_too_large']]);
    rmSync(path.join(folder(), 'big.bin'));

    const deep = path.join(folder(), ...Array.from({ length: MAX_FOLDER_DEPTH + 1 }, (_, i) => `d${i}`));
    mkdirSync(deep, { recursive: true });
    writeFileSync(path.join(deep, 'x.ts'), '');
    expect(await errors()).toEqual([['connectors/shop', 'folder_too_deep']]);
  });
});

describe('which texts the registry may keep for the diff', () => {
  it('small UTF-8 source and document files only: not binaries, key files, large files or the manifest', async () => {
    await repo.write('connectors/shop/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1]));
    await repo.write('connectors/shop/client.pem', '-----BEGIN PRIVATE KEY-----\n');
    await repo.write('connectors/shop/big.json', `"${'x'.repeat(MAX_TEXT_BYTES)}"`);
    await repo.write('connectors/shop/latin1.ts', Buffer.from([0x63, 0xe9, 0x0a]));
    await repo.write('connectors/shop/README.md', '# Shop\n');
    const read = readConnectorFolderSync(repo.root, 'shop');
    expect(read.problems).toEqual([]);
    expect(Object.fromEntries(read.files.map((f) => [f.path, f.text]))).toEqual({
      'README.md': true, 'big.json': false, 'client.pem': false, 'latin1.ts': false, 'lib/handlers.ts': true,
      'logo.png': false, 'manifest.yaml': false, 'server.ts': true,
    });
    const texts = readKeptTexts(repo.root, 'shop', read.files);
    expect([...texts.keys()].sort()).toEqual(['README.md', 'lib/handlers.ts', 'server.ts']);
    expect(texts.get('server.ts')).toBe(SERVER);
  });

  it('a file that changed since it was hashed gets no text (the next sync records the change)', async () => {
    const read = readConnectorFolderSync(repo.root, 'shop');
    await repo.write('connectors/shop/server.ts', SERVER.replace('= 1', '= 9'));
    expect(readKeptTexts(repo.root, 'shop', read.files).has('server.ts')).toBe(false);
    expect(folderSourceSha256(readConnectorFolderSync(repo.root, 'shop').files)).not.toBe(folderSourceSha256(read.files));
  });
});
