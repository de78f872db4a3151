/**
 * runConnectorStdio in a real child process: stdout carries only JSON-RPC, and no key value gets
 * out, plain or encoded (base64, base64url, hex, URL encoding), through an MCP message or stderr,
 * even when a handler prints it with console.log or process.stderr.write. The careless connector
 * (fixtures/leaky) runs from a temp repository that synced and approved it: keys only at the
 * approved digest.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { runtimeRepo, vaultWith, type RuntimeRepo } from './approved-repo.ts';
import { encodingsOf, recording } from './helpers.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/leaky/', import.meta.url));
// Spaces, slashes, '+', '?', '&', '=' and a non-ASCII letter: every encoding differs from the value.
const CANARY = `canary stdio/${process.pid}+é?&=never-print`;
const LEAKED = { plain: CANARY, ...encodingsOf(CANARY), bearer_base64: Buffer.from(`Bearer ${CANARY}`).toString('base64') };

describe('runConnectorStdio', () => {
  let repo: RuntimeRepo;
  beforeAll(async () => {
    repo = await runtimeRepo('pglite', { connectors: { leaky_fixture: FIXTURE } });
    await repo.sync();
    await repo.approve('leaky_fixture');
  });
  afterAll(() => repo?.close());

  it('keeps stdout for JSON-RPC and redacts the key, plain and in each encoding, from everything a handler prints or returns', async () => {
    const stdio = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', join('connectors', 'leaky_fixture', 'server.ts')],
      cwd: repo.root,
      env: { ...getDefaultEnvironment(), VAULT_DIR: vaultWith({ PROVIDER_LEAKY_FIXTURE_API_KEY: CANARY }), DATABASE_URL: repo.db.url },
      stderr: 'pipe',
    });
    let stderr = '';
    stdio.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const { transport, traffic } = recording(stdio);
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);

    const result = (await client.callTool({ name: 'chatty_read', arguments: {} })) as CallToolResult;
    await client.close();
    const returned = (result.structuredContent as { printed: boolean; leaks: Record<string, string> }).leaks;
    expect(Object.keys(returned).sort()).toEqual(Object.keys(LEAKED).sort());

    for (const how of Object.keys(LEAKED)) {
      // console.log went to stderr (stdout stayed parseable: the call above succeeded).
      for (const via of ['console.log', 'console.error', 'stderr.write', 'stderr.write(buffer)', 'ctx.log']) {
        expect(stderr, `${via} ${how}`).toMatch(new RegExp(`${via.replace(/[().]/g, '\\$&')} ${how} \\S*\\[redacted\\]`));
      }
      expect(returned[how], how).toContain('[redacted]');
    }
    const everything = `${stderr}\n${JSON.stringify(traffic)}`;
    for (const [how, text] of Object.entries(LEAKED)) expect(everything.includes(text), `${how} leaked`).toBe(false);
    // JSON escapes in the MCP messages: check the decoded text too.
    expect(JSON.stringify(traffic).includes(JSON.stringify(CANARY).slice(1, -1))).toBe(false);
  });
});
