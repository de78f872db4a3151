/**
 * A throwaway repository for runtime tests: real copies of connector folders under
 * `connectors/`, this project's package.json imports, and links to its pipeline/, vault-agent/ and
 * node_modules/, so a connector runs from the copy exactly as from a checkout (`#connector-runtime`
 * included). Its registry is a fresh database (PGlite or PostgreSQL) that the real sentinel syncs
 * and approvals.ts approves, as the site does. Tests edit the copies, never the repository.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { approveProvider } from '../../registry/approvals.ts';
import { freshDatabase, type FreshDatabase, type TestBackend } from '../../registry/testing.ts';
import { runSync } from '../../sentinel/sync.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface RuntimeRepo {
  root: string;
  db: FreshDatabase;
  pool: pg.Pool;
  /** Writes a file under the repository copy (path relative to its root). */
  write(rel: string, content: string): void;
  read(rel: string): string;
  sync(): Promise<void>;
  /** Approves `slug` at the digest the registry holds, as the site's Approve button does. */
  approve(slug: string): Promise<string>;
  provider(slug: string): Promise<{ status: string; manifest_digest: string; approved_digest: string | null } | undefined>;
  close(): Promise<void>;
}

export interface RuntimeRepoOptions {
  /** Connector folders to copy: slug -> source folder (default: connectors/<slug> of this repository). */
  connectors: Record<string, string | undefined>;
}

export async function runtimeRepo(backend: TestBackend, opts: RuntimeRepoOptions): Promise<RuntimeRepo> {
  const root = mkdtempSync(join(tmpdir(), 'runtime-repo-'));
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { imports: unknown };
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'runtime-repo', type: 'module', imports: pkg.imports }));
  for (const linked of ['pipeline', 'vault-agent', 'node_modules']) symlinkSync(join(REPO_ROOT, linked), join(root, linked));
  for (const [slug, from] of Object.entries(opts.connectors)) {
    cpSync(from ?? join(REPO_ROOT, 'connectors', slug), join(root, 'connectors', slug), { recursive: true });
  }
  const db = await freshDatabase(backend);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const repo: RuntimeRepo = {
    root,
    db,
    pool,
    write(rel, content) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), content);
    },
    read: (rel) => readFileSync(join(root, rel), 'utf8'),
    async sync() {
      const outcome = await runSync({ db: pool, repoRoot: root, actor: 'runtime-test', commitSha: null });
      if (!outcome.result) throw new Error(`the test repository does not sync: ${JSON.stringify(outcome.validation.errors)}`);
    },
    async approve(slug) {
      const row = await repo.provider(slug);
      if (!row) throw new Error(`${slug} is not in the registry`);
      const approved = await approveProvider(pool, { slug, digest: row.manifest_digest, actor: 'operator' });
      if (!approved.ok) throw new Error(approved.message);
      return row.manifest_digest;
    },
    async provider(slug) {
      const { rows } = await pool.query(`SELECT status, manifest_digest, approved_digest FROM connector_providers WHERE provider_slug = $1`, [slug]);
      return rows[0];
    },
    async close() {
      await pool.end();
      await db.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return repo;
}

/** A vault dir in os.tmpdir() holding `values` as vault-agent writes them (0700 dir, 0600 files). */
export function vaultWith(values: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'runtime-vault-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, value] of Object.entries(values)) writeFileSync(join(dir, `${name}.txt`), value, { mode: 0o600 });
  return dir;
}

/** Runs a connector program to its end (stdin closed at once) and returns its exit code and output. */
export function runToExit(cwd: string, file: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}
