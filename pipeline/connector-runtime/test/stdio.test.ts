/**
 * runConnectorStdio in a real child process: stdout carries only JSON-RPC, and no key value gets
 * out through stderr, even when a handler prints it with console.log or process.stderr.write.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { recording } from './helpers.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/leaky/server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CANARY = `canary-stdio-${process.pid}-never-print`;

describe('runConnectorStdio', () => {
  it('keeps stdout for JSON-RPC and redacts key values from everything a handler prints', async () => {
    const vault = mkdtempSync(join(tmpdir(), 'runtime-vault-'));
    chmodSync(vault, 0o700);
    writeFileSync(join(vault, 'PROVIDER_LEAKY_FIXTURE_API_KEY.txt'), CANARY, { mode: 0o600 });

    const stdio = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', FIXTURE],
      cwd: REPO_ROOT,
      env: { ...getDefaultEnvironment(), VAULT_DIR: vault },
      stderr: 'pipe',
    });
    let stderr = '';
    stdio.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const { transport, traffic } = recording(stdio);
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);

    const result = (await client.callTool({ name: 'chatty_read', arguments: {} })) as CallToolResult;
    expect(result.structuredContent).toEqual({ printed: true });
    await client.close();

    // console.log went to stderr (stdout stayed parseable: the call above succeeded).
    expect(stderr).toContain('console.log [redacted]');
    expect(stderr).toContain('console.error [redacted]');
    expect(stderr).toContain('stderr.write [redacted]');
    expect(stderr).toContain('stderr.write(buffer) [redacted]');
    expect(stderr).not.toContain(CANARY);
    expect(JSON.stringify(traffic)).not.toContain(CANARY);
  });
});
