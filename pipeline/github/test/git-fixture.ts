/**
 * A real temporary git repository shaped like this project (catalogues + connectors), with a
 * base commit on main and head commits on a PR branch, and a runner to start the real CLI in it
 * the way the workflow does.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs');
const CLI = join(PROJECT_ROOT, 'pipeline/cli/main.ts');

export const FIREARM_TYPES = `schema_version: 1
firearm_types:
  - id: GENERAL
    label: General
    description: Any action with consequences outside the system.
  - id: REFUND_ISSUE
    label: Issue refunds
    description: Sends money back to a customer.
  - id: INVENTORY_ORDER
    label: Order inventory
    description: Places purchase orders with suppliers.
  - id: CODE_DELETE
    label: Delete code or data
    description: Permanently deletes code or data.
`;

export const CORE_KPIS = `schema_version: 1
core_kpis:
  - id: gross_sales
    label: Gross sales
    description: Sales before discounts and returns.
    unit: currency
  - id: net_sales
    label: Net sales
    description: Sales after discounts and returns.
    unit: currency
  - id: orders
    label: Orders
    description: Number of orders.
    unit: count
`;

export const ALPHA = `schema_version: 1
provider_slug: alpha
display_name: Alpha
auth_mode: byok
secrets:
  - key: PROVIDER_ALPHA_API_KEY
    label: API key
scopes:
  - name: read_items
    description: Read items
    requires_firearm: false
kpis:
  - raw: total_sales
    standard: gross_sales
`;

/** Line 12 names a firearm type that is not in the catalogue; line 14 is a destructive scope without a firearm. */
export const BROKEN = `schema_version: 1
provider_slug: broken
display_name: Broken
auth_mode: byok
secrets:
  - key: PROVIDER_BROKEN_API_KEY
    label: API key
scopes:
  - name: refund_orders
    description: Refund an order
    requires_firearm: true
    firearm_type: REFUND
  - name: read_orders
    description: Read orders
    requires_firearm: false
  - name: delete_orders
    description: Delete orders
    requires_firearm: false
`;
export const BROKEN_ERROR_LINE = 12;
export const BROKEN_WARNING_LINE = 16;

/** A valid connector with a new firearm scope (place_order, INVENTORY_ORDER). */
export const ARMORY = `schema_version: 1
provider_slug: armory
display_name: Armory Supplies
auth_mode: byok
secrets:
  - key: PROVIDER_ARMORY_API_TOKEN
    label: API token
    description: Settings > Developers
scopes:
  - name: read_stock
    description: Read stock levels
    requires_firearm: false
  - name: place_order
    description: Place a purchase order with the supplier
    requires_firearm: true
    firearm_type: INVENTORY_ORDER
kpis:
  - raw: revenue
    standard: net_sales
    aggregation: sum
`;

export interface GitRepo {
  root: string;
  git(...args: string[]): string;
  write(files: Record<string, string | null>): void;
  commit(message: string): string;
  cleanup(): void;
}

export function createRepo(): GitRepo {
  const root = mkdtempSync(join(tmpdir(), 'cf-pr-check-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
  git('init', '-q', '-b', 'main');
  return {
    root,
    git,
    write(files) {
      for (const [path, text] of Object.entries(files)) {
        const full = join(root, path);
        if (text === null) rmSync(full, { recursive: true, force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, text);
        }
      }
    },
    commit(message) {
      git('add', '-A');
      git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `connectors <args>` (the npm script: tsx pipeline/cli/main.ts) with exactly this environment. */
export function runCli(args: string[], cwd: string, env: Record<string, string>): Promise<CliRun> {
  return runTsx(CLI, args, cwd, env);
}

/** Runs a TypeScript entry file with tsx; nothing is inherited from the test's environment but PATH and HOME. */
export function runTsx(script: string, args: string[], cwd: string, env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, script, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses a $GITHUB_OUTPUT file (`name<<DELIM\nvalue\nDELIM` blocks, as @actions/core writes). */
export function readOutputs(file: string): Record<string, string> {
  const text = readFileSync(file, 'utf8');
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}
