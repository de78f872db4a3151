/**
 * Test repositories in real temp dirs, registry dumps, and child processes for the sentinel tests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { PROJECT_ROOT } from '../../registry/connect.ts';
import { testManifestYaml } from '../../schema/test/test-manifest.ts';

export { PROJECT_ROOT };

export interface ManifestInput {
  display_name?: string;
  description?: string;
  auth_mode?: 'oauth' | 'byok' | 'oauth_and_byok' | 'none';
  secrets?: { key: string; label: string; description?: string; optional?: boolean }[];
  scopes?: { name: string; description: string; requires_firearm: boolean; firearm_type?: string; access?: 'read' | 'write' }[];
  kpis?: { raw: string; standard: string; aggregation?: string }[];
}

/**
 * A valid manifest for `slug`, with any part of `input` in place of the default: the one test
 * manifest (schema/test/test-manifest.ts) with the rows these tests pin: "Service <slug>", no
 * description or docs URL, one key (none for auth_mode none), read_items and purge_items
 * (CODE_DELETE), one KPI.
 */
export function manifestYaml(slug: string, input: ManifestInput = {}): string {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ManifestInput;
  return testManifestYaml(slug, {
    display_name: `Service ${slug}`,
    description: undefined,
    docs_url: undefined,
    secrets: input.auth_mode === 'none' ? [] : [{ key: `PROVIDER_${slug.toUpperCase()}_API_KEY`, label: 'API key' }],
    scopes: [
      { name: 'read_items', description: 'Read items', requires_firearm: false },
      { name: 'purge_items', description: 'Permanently delete items', requires_firearm: true, firearm_type: 'CODE_DELETE' },
    ],
    kpis: [{ raw: 'total_sales', standard: 'gross_sales', aggregation: 'sum' }],
    ...given,
  });
}

export interface TestRepo {
  root: string;
  write(slug: string, input?: ManifestInput): void;
  writeRaw(slug: string, text: string): void;
  remove(slug: string): void;
  writeCatalog(file: 'firearm-types.yaml' | 'core-kpis.yaml', text: string): void;
  cleanup(): void;
}

/** A repository in a temp dir with the project's catalogues and the given connectors. */
export function makeRepo(slugs: string[] = []): TestRepo {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cf-repo-'));
  const catalogDir = path.join(root, 'pipeline', 'catalog');
  mkdirSync(catalogDir, { recursive: true });
  const source = path.join(PROJECT_ROOT, 'pipeline', 'catalog');
  if (existsSync(path.join(source, 'firearm-types.yaml'))) cpSync(source, catalogDir, { recursive: true });
  else {
    writeFileSync(path.join(catalogDir, 'firearm-types.yaml'), 'schema_version: 1\nfirearm_types:\n  - id: CODE_DELETE\n    label: Delete\n    description: Deletes data.\n');
    writeFileSync(path.join(catalogDir, 'core-kpis.yaml'), 'schema_version: 1\ncore_kpis:\n  - id: gross_sales\n    label: Gross sales\n    description: Sales before deductions.\n');
  }
  mkdirSync(path.join(root, 'connectors'), { recursive: true });
  const repo: TestRepo = {
    root,
    writeRaw(slug, text) {
      mkdirSync(path.join(root, 'connectors', slug), { recursive: true });
      writeFileSync(path.join(root, 'connectors', slug, 'manifest.yaml'), text);
    },
    write(slug, input) {
      repo.writeRaw(slug, manifestYaml(slug, input));
    },
    remove(slug) {
      rmSync(path.join(root, 'connectors', slug), { recursive: true, force: true });
    },
    writeCatalog(file, text) {
      writeFileSync(path.join(catalogDir, file), text);
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  for (const slug of slugs) repo.write(slug);
  return repo;
}

/** Runs git in `root`; its output, trimmed. Throws when git fails. */
export function git(root: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A test repository (makeRepo) made a git repository on `main` that ignores `*.log`, with its files committed. */
export function gitRepo(slugs: string[], opts: { commit?: boolean } = {}): TestRepo {
  const repo = makeRepo(slugs);
  git(repo.root, 'init', '-q', '-b', 'main');
  git(repo.root, 'config', 'user.name', 'Sentinel Test');
  git(repo.root, 'config', 'user.email', 'sentinel-test@example.com');
  git(repo.root, 'config', 'commit.gpgsign', 'false');
  writeFileSync(path.join(repo.root, '.gitignore'), '*.log\n');
  if (opts.commit !== false) commitAll(repo, 'connectors');
  return repo;
}

export function commitAll(repo: TestRepo, message: string): void {
  git(repo.root, 'add', '-A');
  git(repo.root, 'commit', '-q', '-m', message);
}

/** Every table the sentinel owns, with its key order for a stable dump. */
export const REGISTRY_TABLES: Record<string, string> = {
  firearm_types: 'id',
  core_kpis: 'id',
  connector_providers: 'provider_slug',
  connector_scopes: 'provider_slug, name',
  kpi_mappings: 'provider_slug, raw_metric, core_kpi',
  connector_secrets: 'provider_slug, key_name',
  connector_files: 'provider_slug, path',
  connector_approved_files: 'provider_slug, path',
};

/** All rows of every registry table but registry_syncs/registry_events, timestamps included, as text. */
export async function dumpRegistry(client: pg.ClientBase | pg.Pool): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const [table, order] of Object.entries(REGISTRY_TABLES)) {
    const exists = await client.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [table]);
    if (!exists.rows[0]?.ok) continue;
    // to_jsonb keeps timestamps at full microsecond precision (a JS Date would drop them).
    const { rows } = await client.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${table} t ORDER BY ${order}`);
    dump[table] = rows.map((r) => r.row);
  }
  return dump;
}

export async function countRows(client: pg.ClientBase | pg.Pool, table: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

const TSX_LOADER = pathToFileURL(path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Runs a TypeScript file in a child Node process (tsx loader), from `cwd`. */
export function spawnTs(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const env = { ...process.env, ...opts.env };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS; // vitest's own loader hooks must not leak into the child
  return spawn(process.execPath, ['--import', TSX_LOADER, file, ...args], { cwd: opts.cwd ?? PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** `npm run connectors -- <args>` as a child process working on `repoRoot`. */
export function runCli(repoRoot: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return finished(spawnTs(path.join(PROJECT_ROOT, 'pipeline', 'cli', 'main.ts'), args, { cwd: repoRoot, env: { GITHUB_ACTIONS: '', ...env } }));
}

/** Resolves once the child printed `marker` on stdout. */
export function waitForOutput(child: ChildProcess, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let errors = '';
    child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(marker)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing ${marker}: ${seen}${errors}`)));
  });
}
