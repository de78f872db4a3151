/**
 * _template/server.ts, copied to connectors/<slug>/ the way `npm run connectors -- new` does,
 * runs as an MCP server once its manifest is filled: every scope listed, scopes without a handler
 * (firearm ones too: no licence is asked for a call that cannot run) answering not_implemented. The copy lives in a temp repository that
 * links this one's package.json imports, pipeline/, vault-agent/ and node_modules/, so the test
 * never writes into the shared connectors/ folder.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

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

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'template-copy-'));
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { imports: unknown };
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'template-copy', type: 'module', imports: pkg.imports }));
  for (const linked of ['pipeline', 'vault-agent', 'node_modules']) symlinkSync(join(REPO_ROOT, linked), join(root, linked));
  const folder = join(root, 'connectors', SLUG);
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(REPO_ROOT, '_template/server.ts'), join(folder, 'server.ts'));
  writeFileSync(join(folder, 'manifest.yaml'), MANIFEST);

  const vault = mkdtempSync(join(tmpdir(), 'template-vault-'));
  chmodSync(vault, 0o700);
  writeFileSync(join(vault, 'PROVIDER_TMPL_CHECK_API_KEY.txt'), 'template-test-key', { mode: 0o600 });

  const stdio = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join('connectors', SLUG, 'server.ts')],
    cwd: root,
    env: { ...getDefaultEnvironment(), VAULT_DIR: vault, CONNECTORS_DATA_DIR: mkdtempSync(join(tmpdir(), 'template-data-')) },
    stderr: 'pipe',
  });
  stdio.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  client = new Client({ name: 'template-test', version: '1.0.0' });
  await client.connect(stdio);
});

afterAll(async () => {
  await client?.close();
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
