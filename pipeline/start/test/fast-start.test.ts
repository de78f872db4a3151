/**
 * What makes npm start fast on a big registry, each on real files and a real PGlite:
 *  - the embedded registry's read-through check is skipped only when the cluster's files are exactly
 *    as the last clean stop left them: a clean close vouches for them, a table file cut short after
 *    it, or an owner killed with SIGKILL, does not;
 *  - the watcher's picture, kept up to date path by path (what a run does instead of a full walk),
 *    equals a fresh full picture after files are saved, added, removed and folders replaced;
 *  - the watches are armed from a listing of the directories alone.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedRegistry } from '../../registry/embedded.ts';
import { listDirs, readTreeState, refreshPaths } from '../tree-state.ts';

const HOLD_REGISTRY = path.resolve(import.meta.dirname, '../../registry/test/fixtures/hold-registry.ts');

async function query(url: string, sql: string): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('the embedded registry vouches for its files only after a clean stop', () => {
  let tmp: string;
  let dataDir: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-fast-start-'));
    dataDir = path.join(tmp, 'data');
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('a new registry is not vouched for; after a clean close it is; a table file cut short after that is not', async () => {
    const first = await startEmbeddedRegistry({ dataDir });
    expect(first.cleanSinceLastStop).toBe(false);
    await query(first.url, `CREATE TABLE filler (id int PRIMARY KEY, pad text); INSERT INTO filler SELECT g, repeat('x', 500) FROM generate_series(1, 2000) g`);
    const [{ file }] = (await query(first.url, `SELECT pg_relation_filepath('filler') AS file`)) as [{ file: string }];
    await first.close();

    const second = await startEmbeddedRegistry({ dataDir });
    expect(second.cleanSinceLastStop).toBe(true);
    await second.close();

    // The table's heap file, cut short at a page boundary (what a plain read would serve silently).
    const heap = path.join(dataDir, 'registry', file);
    expect(statSync(heap).size).toBeGreaterThan(8192);
    truncateSync(heap, 8192);
    const third = await startEmbeddedRegistry({ dataDir });
    try {
      expect(third.cleanSinceLastStop).toBe(false);
    } finally {
      await third.close();
    }
  });

  it('an owner killed with SIGKILL after writing leaves files that are not vouched for', async () => {
    const clean = await startEmbeddedRegistry({ dataDir });
    await clean.close();
    const holder = spawn(process.execPath, ['--import', 'tsx', HOLD_REGISTRY, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    holder.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', () => out.includes('ready ') && resolve());
      holder.once('exit', () => reject(new Error(`the holder exited early: ${out}`)));
    });
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    const next = await startEmbeddedRegistry({ dataDir, waitMs: 5_000 });
    try {
      expect(next.cleanSinceLastStop).toBe(false);
    } finally {
      await next.close();
    }
  }, 180_000); // three registry starts and a holder process: 64 s on a two-core machine at load 12
});

describe('the watcher picture, kept up to date path by path', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'cf-tree-'));
    for (const slug of ['acme', 'beta', 'gamma']) {
      mkdirSync(path.join(root, 'connectors', slug, 'docs'), { recursive: true });
      writeFileSync(path.join(root, 'connectors', slug, 'manifest.yaml'), `display_name: ${slug}\n`);
      writeFileSync(path.join(root, 'connectors', slug, 'docs', 'README.md'), `# ${slug}\n`);
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('equals a fresh picture after a save, a new folder, a removed folder and a replaced folder', async () => {
    const c = (...p: string[]) => path.join(root, 'connectors', ...p);
    const kept = await readTreeState([c()]);

    writeFileSync(c('acme', 'manifest.yaml'), 'display_name: acme, longer now\n');
    mkdirSync(c('delta', 'docs'), { recursive: true });
    writeFileSync(c('delta', 'manifest.yaml'), 'display_name: delta\n');
    writeFileSync(c('delta', 'docs', 'README.md'), '# delta\n');
    rmSync(c('beta'), { recursive: true });
    mkdirSync(path.join(root, 'swap'));
    writeFileSync(path.join(root, 'swap', 'manifest.yaml'), 'display_name: gamma, swapped\n');
    rmSync(c('gamma'), { recursive: true });
    renameSync(path.join(root, 'swap'), c('gamma'));

    // What the events name: the saved file, and the entries of connectors/ that came, went or were replaced.
    await refreshPaths(kept, [c('acme', 'manifest.yaml'), c('delta'), c('beta'), c('gamma')]);
    const fresh = await readTreeState([c()]);
    expect([...kept.entries].sort()).toEqual([...fresh.entries].sort());
    expect([...kept.dirs].sort()).toEqual([...fresh.dirs].sort());
    expect(kept.entries.has(c('gamma', 'docs'))).toBe(false);
    expect(kept.entries.has(c('delta', 'docs', 'README.md'))).toBe(true);
  });

  it('lists every directory (and only directories) without a picture, skipping .git and node_modules', async () => {
    mkdirSync(path.join(root, 'connectors', 'acme', 'node_modules', 'dep'), { recursive: true });
    mkdirSync(path.join(root, 'connectors', '.git'), { recursive: true });
    const dirs = await listDirs([path.join(root, 'connectors'), path.join(root, 'missing')]);
    const expected = ['', 'acme', 'acme/docs', 'beta', 'beta/docs', 'gamma', 'gamma/docs'].map((d) => path.join(root, 'connectors', d));
    expect(dirs.sort()).toEqual(expected.sort());
  });
});
