/**
 * `npm run connectors -- licences` as a real child process against a registry (PGlite, and
 * PostgreSQL when TEST_DATABASE_URL is set): it lists active licences and pending requests, text
 * and --json, escapes what agents wrote, and changes nothing. No form of it grants a licence.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantLicence, recordRequest, revokeLicence } from '../../registry/licences.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { ACME, OTHER, seedLicenceRegistry } from '../../registry/test/licence-fixtures.ts';

const MAIN = path.resolve(import.meta.dirname, '../main.ts');
const REPO = path.resolve(import.meta.dirname, '../../..');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'licences', ...args], {
      cwd: REPO,
      env: { ...process.env, DATABASE_URL: '', NODE_OPTIONS: '', CONNECTORS_SITE_URL: 'http://127.0.0.1:4777', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every row of every table, as text: the command must leave it exactly as it was. */
async function snapshot(pool: pg.Pool): Promise<string> {
  const out: string[] = [];
  for (const table of ['firearm_licences', 'licence_requests', 'firearm_uses', 'registry_events', 'connector_providers']) {
    const { rows } = await pool.query(`SELECT to_jsonb(t)::text AS row FROM ${table} t ORDER BY 1`);
    out.push(...rows.map((r: { row: string }) => r.row));
  }
  return out.join('\n');
}

describe.each(testBackends())('npm run connectors -- licences (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let active: number;
  let revoked: number;
  let requestId: number;

  beforeAll(async () => {
    db = await freshDatabase(backend);
    await seedLicenceRegistry(db.url);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const a = await grantLicence(pool, { providerSlug: ACME, firearmType: 'CODE_DELETE', scope: 'purge_items', durationMinutes: 90, maxUses: 5, note: 'spring cleaning', operator: 'alice' });
    const r = await grantLicence(pool, { providerSlug: OTHER, firearmType: 'CODE_DELETE', durationMinutes: 60, operator: 'alice' });
    if (!a.ok || !r.ok) throw new Error('grant failed');
    active = a.licence.id;
    revoked = r.licence.id;
    await revokeLicence(pool, revoked, 'bob');
    const asked = await recordRequest(pool, {
      providerSlug: ACME,
      tool: 'refund',
      scope: 'refund',
      firearmType: 'REFUND_ISSUE',
      argumentsSha256: createHash('sha256').update('x').digest('hex'),
      client: { name: 'agent\x1b[2K', version: '1.0' },
      arguments: { order: 'ord_1', reason: 'fake success\x1b[2K\r✓ all good' },
    });
    if (!asked.ok) throw new Error(asked.message);
    requestId = asked.requestId;
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('lists the active licences and the pending requests with where to decide them, and writes nothing', async () => {
    const before = await snapshot(pool);
    const r = await cli(['--database-url', db.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Active firearm licences (1):');
    expect(r.stdout).toMatch(new RegExp(`#${active}  acme  CODE_DELETE \\(scope purge_items\\)  expires .* 0/5 uses  granted by alice  note: spring cleaning`));
    expect(r.stdout).not.toContain(`#${revoked} `);
    expect(r.stdout).toContain('Pending licence requests (1):');
    expect(r.stdout).toContain(`#${requestId}  acme  refund (REFUND_ISSUE, scope refund)`);
    expect(r.stdout).toContain(`decide at http://127.0.0.1:4777/licences#request-${requestId}`);
    expect(r.stdout).toContain('Read-only: an operator grants');
    expect(await snapshot(pool)).toBe(before);
  });

  it('what an agent wrote (arguments, client name) reaches the terminal escaped, never as control codes', async () => {
    const r = await cli(['--database-url', db.url]);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout).toContain('by agent\\x1b[2K 1.0');
  });

  it('--json prints both lists as one JSON document', async () => {
    const r = await cli(['--json', '--database-url', db.url]);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as { active_licences: { id: number; state: string }[]; pending_requests: { id: number; approve_url: string; arguments: unknown }[] };
    expect(parsed.active_licences.map((l) => [l.id, l.state])).toEqual([[active, 'active']]);
    expect(parsed.pending_requests).toHaveLength(1);
    expect(parsed.pending_requests[0]).toMatchObject({ id: requestId, approve_url: `http://127.0.0.1:4777/licences#request-${requestId}`, arguments: { order: 'ord_1' } });
  });

  it('--connector narrows both lists to one connector', async () => {
    const r = await cli(['--json', '--connector', OTHER, '--database-url', db.url]);
    expect(JSON.parse(r.stdout)).toEqual({ active_licences: [], pending_requests: [] });
  });

  it('no form of the command grants, approves or revokes: any argument or unknown flag is a usage error (exit 2)', async () => {
    const before = await snapshot(pool);
    const results = await Promise.all([['grant', ACME, 'CODE_DELETE'], ['approve', String(requestId)], ['--approve', String(requestId)]].map((args) => cli([...args, '--database-url', db.url])));
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(results[1]!.stderr).toContain('an operator on the God Config site');
    expect(await snapshot(pool)).toBe(before);
  });
});
