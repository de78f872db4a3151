/**
 * Where a connector looks for the registry without DATABASE_URL: the same data dir the factory's
 * commands use (pipeline/registry/connect.ts), and only a registry.json it can trust.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDataDir } from '../../registry/connect.ts';
import { dataDirOf, findRegistry } from '../registry-link.ts';

describe('the registry a connector reaches', () => {
  it('its data dir follows the same rule as the factory commands (CONNECTORS_DATA_DIR, else .data/)', () => {
    const saved = process.env.CONNECTORS_DATA_DIR;
    try {
      for (const value of [undefined, '/tmp/some-data', 'relative/data']) {
        if (value === undefined) delete process.env.CONNECTORS_DATA_DIR;
        else process.env.CONNECTORS_DATA_DIR = value;
        expect(dataDirOf(process.env)).toBe(resolveDataDir(undefined));
      }
    } finally {
      if (saved === undefined) delete process.env.CONNECTORS_DATA_DIR;
      else process.env.CONNECTORS_DATA_DIR = saved;
    }
  });

  it('DATABASE_URL wins, and is never echoed in what it says', async () => {
    expect(await findRegistry({ DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/x' })).toEqual({
      ok: true,
      url: 'postgres://u:secret@127.0.0.1:1/x',
      where: 'the registry at DATABASE_URL',
    });
  });

  it('a registry.json that others could have written is not trusted', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'link-data-'));
    writeFileSync(join(dataDir, 'registry.json'), JSON.stringify({ pid: process.pid, url: 'postgres://evil@127.0.0.1:1/x', socket: null, started_at: '' }));
    chmodSync(join(dataDir, 'registry.json'), 0o666);
    const found = await findRegistry({ CONNECTORS_DATA_DIR: dataDir });
    expect(found).toMatchObject({ ok: false });
    if (!found.ok) expect(found.message).toContain('not a private file of this user');
  });

  it('the running npm start\'s registry.json gives its socket URL and its site (so approve_url follows --port)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'link-data-'));
    const info = { pid: process.pid, url: 'postgres://me@/registry?host=/x/run', socket: '/x/run/.s.PGSQL.5432', started_at: '', kind: 'npm start', site_url: 'http://127.0.0.1:5151' };
    writeFileSync(join(dataDir, 'registry.json'), JSON.stringify(info), { mode: 0o600 });
    expect(await findRegistry({ CONNECTORS_DATA_DIR: dataDir })).toMatchObject({ ok: true, url: info.url, siteUrl: 'http://127.0.0.1:5151' });
    writeFileSync(join(dataDir, 'registry.json'), JSON.stringify({ ...info, site_url: 'http://127.0.0.1:5151/?token=abc' }), { mode: 0o600 });
    expect(await findRegistry({ CONNECTORS_DATA_DIR: dataDir })).not.toHaveProperty('siteUrl');
  });

  it('a registry.json left by a process that is gone is reported as such', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'link-data-'));
    writeFileSync(join(dataDir, 'registry.json'), JSON.stringify({ pid: 2 ** 22 + 7, url: 'postgres://x@/y', socket: null, started_at: '' }), { mode: 0o600 });
    const found = await findRegistry({ CONNECTORS_DATA_DIR: dataDir });
    expect(found).toMatchObject({ ok: false });
    if (!found.ok) expect(found.message).toMatch(/process \d+\) is gone/);
  });
});
