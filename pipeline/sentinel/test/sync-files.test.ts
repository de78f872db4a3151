/**
 * The connector digest covers the folder, so the sentinel treats code like the manifest: editing
 * server.ts after approval turns `approved` into `changed`. The registry remembers which files a
 * connector had at its last sync and at its approval (path, sha256, size, and the text of small
 * source files), so the site can show what changed since approval. Both backends.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveProvider } from '../../registry/approvals.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { runSync } from '../index.ts';
import { dumpRegistry, makeRepo, type TestRepo } from './helpers.ts';

const SERVER = `export const handlers = { read_items: async () => ({ ok: true }) };\n`;

describe.each(testBackends())('sync records connector files (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;
  const sync = async () => {
    const outcome = await runSync({ db: pool, repoRoot: repo.root, actor: 'ci' });
    if (!outcome.result) throw new Error(JSON.stringify(outcome.validation.errors));
    return outcome.result;
  };
  const file = (slug: string, rel: string) => path.join(repo.root, 'connectors', slug, rel);
  const put = (slug: string, rel: string, content: string | Buffer) => {
    mkdirSync(path.dirname(file(slug, rel)), { recursive: true });
    writeFileSync(file(slug, rel), content);
  };
  const provider = async (slug: string) =>
    (await pool.query(`SELECT status, manifest_digest, approved_digest FROM connector_providers WHERE provider_slug = $1`, [slug])).rows[0];
  const files = async (table: 'connector_files' | 'connector_approved_files', slug: string) =>
    (await pool.query(`SELECT path, size::int AS size, text IS NOT NULL AS has_text, sha256 FROM ${table} WHERE provider_slug = $1 ORDER BY path`, [slug])).rows;
  const approve = async (slug: string) => {
    const { manifest_digest } = await provider(slug);
    expect(await approveProvider(pool, { slug, digest: manifest_digest, actor: 'operator' })).toMatchObject({ ok: true, already: false });
  };

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    repo = makeRepo(['shop', 'solo']);
    put('shop', 'server.ts', SERVER);
    put('shop', 'assets/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]));
    await sync();
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  it('remembers every file at sync: path, sha256, size, and the text of small source files only', async () => {
    const rows = await files('connector_files', 'shop');
    expect(rows.map((r: { path: string; size: number; has_text: boolean }) => [r.path, r.size, r.has_text])).toEqual([
      ['assets/logo.png', 7, false],
      ['manifest.yaml', readFileSync(file('shop', 'manifest.yaml')).length, false],
      ['server.ts', SERVER.length, true],
    ]);
    const text = await pool.query(`SELECT text FROM connector_files WHERE provider_slug = 'shop' AND path = 'server.ts'`);
    expect(text.rows[0].text).toBe(SERVER);
  });

  it('approval snapshots exactly the synced files', async () => {
    await approve('shop');
    expect(await files('connector_approved_files', 'shop')).toEqual(await files('connector_files', 'shop'));
  });

  it('editing server.ts after approval turns approved into changed on the next sync, keeping the approved files', async () => {
    const approved = await provider('shop');
    const approvedFiles = await files('connector_approved_files', 'shop');
    put('shop', 'server.ts', SERVER.replace('ok: true', 'ok: true, leak: Buffer.from(key).toString("base64")'));
    const result = await sync();
    expect(result.plan.providers.map((p) => [p.slug, p.kind, p.status_before, p.status_after])).toEqual([['shop', 'changed', 'approved', 'changed']]);
    const now = await provider('shop');
    expect(now).toMatchObject({ status: 'changed', approved_digest: approved.manifest_digest });
    expect(now.manifest_digest).not.toBe(approved.manifest_digest);
    expect(await files('connector_approved_files', 'shop')).toEqual(approvedFiles);
    const current = await files('connector_files', 'shop');
    expect(current.find((r: { path: string }) => r.path === 'server.ts').sha256).not.toBe(approvedFiles.find((r: { path: string }) => r.path === 'server.ts').sha256);
  });

  it('adding a file is a change too, and putting the folder back as approved makes it approved again', async () => {
    put('shop', 'lib/extra.ts', 'export {};\n');
    await sync();
    expect((await provider('shop')).status).toBe('changed');
    put('shop', 'server.ts', SERVER);
    rmSync(file('shop', 'lib'), { recursive: true });
    const result = await sync();
    expect(result.plan.providers.map((p) => [p.slug, p.status_after])).toEqual([['shop', 'approved']]);
    expect(await files('connector_files', 'shop')).toEqual(await files('connector_approved_files', 'shop'));
  });

  it('a second sync with no change writes no row, file rows included', async () => {
    const before = await dumpRegistry(pool);
    const result = await sync();
    expect(result.outcome).toBe('noop');
    expect(result.files_recorded).toBe(0);
    expect(await dumpRegistry(pool)).toEqual(before);
  });

  it('a comment in the manifest keeps the connector approved and records the new manifest bytes', async () => {
    const before = await files('connector_files', 'shop');
    writeFileSync(file('shop', 'manifest.yaml'), `${readFileSync(file('shop', 'manifest.yaml'), 'utf8')}# reviewed\n`);
    const result = await sync();
    expect(result.outcome).toBe('noop');
    expect(result.files_recorded).toBe(1);
    expect((await provider('shop')).status).toBe('approved');
    const after = await files('connector_files', 'shop');
    expect(after.find((r: { path: string }) => r.path === 'manifest.yaml').sha256).not.toBe(before.find((r: { path: string }) => r.path === 'manifest.yaml').sha256);
  });

  it('an approval from before files were recorded gets its file list from the next sync at the approved digest', async () => {
    await approve('solo');
    // Play a registry approved and synced by older code: no file rows, another source hash.
    await pool.query(`DELETE FROM connector_approved_files WHERE provider_slug = 'solo'`);
    await pool.query(`DELETE FROM connector_files WHERE provider_slug = 'solo'`);
    await pool.query(`UPDATE connector_providers SET source_sha256 = NULL WHERE provider_slug = 'solo'`);
    await sync();
    expect((await provider('solo')).status).toBe('approved');
    expect((await files('connector_approved_files', 'solo')).map((r: { path: string }) => r.path)).toEqual(['manifest.yaml']);
  });

  it('a connector that is retired and comes back loses its approved file list with its approval', async () => {
    repo.remove('solo');
    await sync();
    expect((await provider('solo')).status).toBe('retired');
    expect(await files('connector_files', 'solo')).toHaveLength(1); // the tombstone keeps what it had
    repo.write('solo');
    await sync();
    expect((await provider('solo')).status).toBe('draft');
    expect(await files('connector_approved_files', 'solo')).toEqual([]);
  });
});
