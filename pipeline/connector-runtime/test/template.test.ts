/**
 * _template/server.ts, copied to connectors/<slug>/ the way `npm run connectors -- new` does,
 * runs as an MCP server once its manifest is filled: every scope listed, scopes without a handler
 * (firearm ones too: no licence is asked for a call that cannot run) answering not_implemented.
 * Until an operator approves it, it runs only with CONNECTOR_DEV=1 and no key. The copy lives in a
 * temp repository (approved-repo.ts) that links this one's package.json imports, pipeline/,
 * vault-agent/ and node_modules/, so the test never writes into the shared connectors/ folder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { runToExit, runtimeRepo, vaultWith, type RuntimeRepo } from './approved-repo.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SLUG = 'tmpl_check';
const MANIFEST = `schema_version: 1
provider_slug: ${SLUG}
display_name: Template check
auth_mode: byok
secrets:
  - key: PROVIDER_TMPL_CHECK_API_KEY
    label: API key
scopes:
  - name: orders:read
    description: Read orders
    requires_firearm: false
  - name: orders:delete
    description: Delete orders
    requires_firearm: true
    firearm_type: CODE_DELETE
`;

let client: Client;
let stderr = '';
let repo: RuntimeRepo;
let vault: string;

beforeAll(async () => {
  repo = await runtimeRepo('pglite', { connectors: {} });
  repo.write(join('connectors', SLUG, 'server.ts'), readFileSync(join(REPO_ROOT, '_template/server.ts'), 'utf8'));
  repo.write(join('connectors', SLUG, 'manifest.yaml'), MANIFEST);
  await repo.sync(); // a draft: synced, not approved

  vault = vaultWith({ PROVIDER_TMPL_CHECK_API_KEY: 'template-test-key' });
  // Unapproved code runs only in development mode, without any key.
  const stdio = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join('connectors', SLUG, 'server.ts')],
    cwd: repo.root,
    env: { ...getDefaultEnvironment(), VAULT_DIR: vault, DATABASE_URL: repo.db.url, CONNECTOR_DEV: '1' },
    stderr: 'pipe',
  });
  stdio.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  client = new Client({ name: 'template-test', version: '1.0.0' });
  await client.connect(stdio);
});

afterAll(async () => {
  await client?.close();
  await repo?.close();
});

describe('the template copied to connectors/<slug>/, not yet approved', () => {
  it('will not start with its keys, and says where to approve it', async () => {
    const run = await runToExit(repo.root, join('connectors', SLUG, 'server.ts'), { VAULT_DIR: vault, DATABASE_URL: repo.db.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('The registry says "draft"');
    expect(run.stderr).toContain(`http://127.0.0.1:4321/connectors/${SLUG}`);
    expect(run.stderr + run.stdout).not.toContain('template-test-key');
  });

  it('with CONNECTOR_DEV=1 it serves without any key, and says so once', () => {
    expect(stderr.split('\n').filter((l) => l.includes('CONNECTOR_DEV=1: serving WITHOUT any vault key'))).toHaveLength(1);
  });
});

describe('the template copied to connectors/<slug>/', () => {
  it('lists one tool per scope of the filled manifest, the firearm one destructive', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => [t.name, t.annotations?.destructiveHint])).toEqual([
      ['orders_read', false],
      ['orders_delete', true],
    ]);
  });

  it('answers not_implemented for a scope without a handler, and warns on stderr', async () => {
    const result = (await client.callTool({ name: 'orders_read', arguments: {} })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ error: { code: 'not_implemented', scope: 'orders:read' } });
    expect(stderr).toContain('scope orders:read has no handler');
  });

  it('a firearm scope without a handler answers not_implemented without asking for a licence', async () => {
    const result = (await client.callTool({ name: 'orders_delete', arguments: {} })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ error: { code: 'not_implemented', scope: 'orders:delete' } });
  });
});
