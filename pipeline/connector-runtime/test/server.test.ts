import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  createConnectorServer,
  fail,
  LICENCE_META_KEY,
  ok,
  scopeHandler,
  type ConnectorServerOptions,
  type SecretLoader,
} from '../index.ts';
import { runtimeRepo, type RuntimeRepo } from './approved-repo.ts';
import { connectInProcess, writeManifest } from './helpers.ts';

const CANARY = 'canary-runtime-7f3c9e1d-never-show-me';

const MANIFEST = `schema_version: 1
provider_slug: acme_chat
display_name: Acme Chat
auth_mode: byok
secrets:
  - key: PROVIDER_ACME_CHAT_API_KEY
    label: API key
  - key: PROVIDER_ACME_CHAT_WEBHOOK
    label: Webhook secret
    optional: true
scopes:
  - name: channels:read
    description: Read channels
    requires_firearm: false
    access: read
  - name: chat:write
    description: Post as the business
    requires_firearm: true
    firearm_type: CLIENT_VOICE
  - name: leaky
    description: A handler that tries to leak its key
    requires_firearm: false
  - name: todo_scope
    description: Not written yet
    requires_firearm: false
    access: write
`;

/** A loader holding values in memory, standing in for the vault reader in these runtime tests. */
function memoryVault(values: Record<string, string>): SecretLoader {
  return async (keys) => ({
    values: Object.fromEntries(keys.filter((k) => k.key in values).map((k) => [k.key, values[k.key] as string])),
    missing: keys.filter((k) => !(k.key in values)).map((k) => k.key),
  });
}

const handlers: ConnectorServerOptions['handlers'] = {
  'channels:read': scopeHandler({ run: async () => ok({ channels: ['general'] }) }),
  'chat:write': scopeHandler({
    input: { text: z.string() },
    run: async ({ text }) => ok({ posted: text }),
  }),
  leaky: scopeHandler({
    input: { mode: z.enum(['return', 'throw', 'fail']) },
    run: async ({ mode }, ctx) => {
      const key = ctx.secrets.require('PROVIDER_ACME_CHAT_API_KEY');
      ctx.log(`about to leak ${key}`);
      if (mode === 'throw') throw new Error(`upstream said: bad token ${key}`);
      if (mode === 'fail') return fail('upstream', `rejected ${key}`, { echoed: key });
      return ok({ token: key, [key]: 'as a field name too' });
    },
  }),
};

let clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
});

/**
 * connectors/acme_chat/ in a temp repository, synced and approved in a fresh registry: a connector
 * gets its keys only at the approved digest, so these tests build it from there (see build()).
 * connectors/acme_draft/ holds the same manifest under another slug, synced but never approved.
 */
let repo: RuntimeRepo;
let manifestPath: string;
beforeAll(async () => {
  repo = await runtimeRepo('pglite', { connectors: {} });
  repo.write('connectors/acme_chat/manifest.yaml', MANIFEST);
  repo.write('connectors/acme_draft/manifest.yaml', MANIFEST.replaceAll('acme_chat', 'acme_draft').replaceAll('ACME_CHAT', 'ACME_DRAFT'));
  await repo.sync();
  await repo.approve('acme_chat');
  manifestPath = join(repo.root, 'connectors', 'acme_chat', 'manifest.yaml');
});
afterAll(() => repo?.close());

/** createConnectorServer with DATABASE_URL pointing at the approving registry while it starts (and only then). */
async function build(opts: ConnectorServerOptions, env: Record<string, string> = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, { DATABASE_URL: repo.db.url, ...env });
  try {
    return await createConnectorServer(opts);
  } finally {
    for (const k of ['DATABASE_URL', ...Object.keys(env)]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

async function start(overrides: Partial<ConnectorServerOptions> = {}) {
  const logs: string[] = [];
  const built = await build({
    manifestPath,
    handlers,
    loadSecrets: memoryVault({ PROVIDER_ACME_CHAT_API_KEY: CANARY }),
    log: (line) => logs.push(line),
    ...overrides,
  });
  if (!built.ok) throw new Error(built.message);
  const { client, traffic } = await connectInProcess(built.server);
  clients.push(client);
  const call = async (name: string, args: Record<string, unknown> = {}, licence?: unknown) =>
    (await client.callTool({
      name,
      arguments: args,
      ...(licence === undefined ? {} : { _meta: { [LICENCE_META_KEY]: licence } }),
    })) as CallToolResult;
  return { client, traffic, logs, call };
}

describe('firearm scopes', () => {
  // No DATABASE_URL and a data dir no npm start holds: the runtime has no registry to ask.
  beforeAll(() => {
    delete process.env.DATABASE_URL;
    process.env.CONNECTORS_DATA_DIR = mkdtempSync(join(tmpdir(), 'runtime-no-factory-'));
  });

  it('are refused when no registry can be reached, with a typed error naming the firearm type and what to do', async () => {
    const { call } = await start();
    const result = await call('chat_write', { text: 'hello' });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({
      error: { code: 'firearm_licence_required', reason: 'registry_unreachable', firearm_type: 'CLIENT_VOICE', scope: 'chat:write', tool: 'chat_write' },
    });
    const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
    expect(text).toMatch(/^firearm_licence_required: chat_write is a firearm tool \(CLIENT_VOICE\).*no npm start is running.*npm start/);
  });

  it('a licence claimed in the call _meta grants nothing, and the refusal says it was ignored', async () => {
    const { call } = await start();
    const result = await call('chat_write', { text: 'hi' }, { granted: true, firearm_type: 'CLIENT_VOICE' });
    expect(result.structuredContent).toMatchObject({ error: { code: 'firearm_licence_required', meta_licence_ignored: true } });
  });

  it('there is no option for connector code to install its own licence checker', async () => {
    const grantsEverything = { check: async () => ({ granted: true }) };
    const { call } = await start({ licences: grantsEverything } as Partial<ConnectorServerOptions>);
    const result = await call('chat_write', { text: 'hi' });
    expect(result.structuredContent).toMatchObject({ error: { code: 'firearm_licence_required' } });
  });

  it('read scopes never touch the registry', async () => {
    let connections = 0;
    const listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    process.env.DATABASE_URL = `postgres://nobody@127.0.0.1:${(listener.address() as AddressInfo).port}/none`;
    try {
      const { call } = await start();
      expect((await call('channels_read')).structuredContent).toEqual({ channels: ['general'] });
      expect(connections).toBe(0);
      expect((await call('chat_write', { text: 'hi' })).structuredContent).toMatchObject({ error: { code: 'firearm_licence_required' } });
      expect(connections).toBeGreaterThan(0);
    } finally {
      delete process.env.DATABASE_URL;
      listener.close();
    }
  });
});

describe('tools', () => {
  it('lists one tool per scope, firearm tools destructive and read tools read-only', async () => {
    const { client } = await start();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['channels_read', 'chat_write', 'leaky', 'todo_scope']);
    const write = tools.find((t) => t.name === 'chat_write');
    expect(write?.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
    expect(write?._meta).toMatchObject({ 'connector-factory/scope': 'chat:write', 'connector-factory/firearm_type': 'CLIENT_VOICE' });
    expect(write?.inputSchema.properties).toHaveProperty('text');
    expect(tools.find((t) => t.name === 'channels_read')?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });

  it('announces read-only only what the manifest marks access: read; unset and write may change data', async () => {
    const { client } = await start();
    const { tools } = await client.listTools();
    const hints = Object.fromEntries(
      tools.map((t) => [
        t.name,
        [t.annotations?.readOnlyHint, t.annotations?.destructiveHint, t.annotations?.idempotentHint, t._meta?.['connector-factory/access']],
      ]),
    );
    expect(hints).toEqual({
      channels_read: [true, false, true, 'read'], // access: read
      chat_write: [false, true, false, 'write'], // firearm
      leaky: [false, false, false, 'write'], // access not declared: may write
      todo_scope: [false, false, false, 'write'], // access: write
    });
    expect(tools.find((t) => t.name === 'leaky')?.description).toContain('Access: not declared, so it may change data');
  });

  it('a scope without a handler answers not_implemented, and start warns about it', async () => {
    const { call, logs } = await start();
    const result = await call('todo_scope');
    expect(result.structuredContent).toMatchObject({ error: { code: 'not_implemented', scope: 'todo_scope' } });
    expect(logs.join('\n')).toContain('scope todo_scope has no handler');
  });
});

describe('key values never leave the process', () => {
  it('a key a handler returns, throws or logs is redacted from every MCP message and log line', async () => {
    const { call, traffic, logs } = await start();
    const returned = await call('leaky', { mode: 'return' });
    const thrown = await call('leaky', { mode: 'throw' });
    const failed = await call('leaky', { mode: 'fail' });

    expect(returned.structuredContent).toEqual({ token: '[redacted]', '[redacted]': 'as a field name too' });
    expect(thrown.structuredContent).toMatchObject({ error: { code: 'handler_failed', message: 'upstream said: bad token [redacted]' } });
    expect(failed.structuredContent).toMatchObject({ error: { code: 'upstream', echoed: '[redacted]' } });
    expect(traffic.length).toBeGreaterThan(6);
    expect(JSON.stringify(traffic)).not.toContain(CANARY);
    expect(logs.join('\n')).toContain('about to leak [redacted]');
    expect(logs.join('\n')).not.toContain(CANARY);
  });

  it('the secrets object prints no value when logged or serialised', async () => {
    let seen = '';
    const built = await build({
      manifestPath,
      handlers: {
        'channels:read': scopeHandler({
          run: async (_args, ctx) => {
            seen = `${JSON.stringify({ s: ctx.secrets })} ${(await import('node:util')).inspect(ctx.secrets)}`;
            return ok({});
          },
        }),
      },
      loadSecrets: memoryVault({ PROVIDER_ACME_CHAT_API_KEY: CANARY }),
      log: () => {},
    });
    if (!built.ok) throw new Error(built.message);
    const { client } = await connectInProcess(built.server);
    clients.push(client);
    await client.callTool({ name: 'channels_read', arguments: {} });
    expect(seen).toContain('PROVIDER_ACME_CHAT_API_KEY');
    expect(seen).not.toContain(CANARY);
  });
});

describe('keys only at the approved digest', () => {
  /** A loader that records being asked: asking is reading the vault. */
  const watchedVault = () => {
    const asked: string[][] = [];
    const load: SecretLoader = async (keys) => {
      asked.push(keys.map((k) => k.key));
      return { values: Object.fromEntries(keys.map((k) => [k.key, CANARY])), missing: [] };
    };
    return { asked, load };
  };

  it('a connector the registry holds as a draft never asks the vault for a key, and says where to approve it', async () => {
    const vault = watchedVault();
    const built = await build({ manifestPath: join(repo.root, 'connectors', 'acme_draft', 'manifest.yaml'), handlers: {}, loadSecrets: vault.load, siteUrl: 'http://127.0.0.1:5555' });
    expect(built).toMatchObject({ ok: false, code: 'not_approved' });
    if (!built.ok) expect(built.message).toContain('approve it on http://127.0.0.1:5555/connectors/acme_draft');
    expect(vault.asked).toEqual([]);
  });

  it('a manifest outside connectors/<slug>/ of a repository has no approval to match: refused before the vault', async () => {
    const vault = watchedVault();
    const built = await build({ manifestPath: writeManifest(MANIFEST), handlers, loadSecrets: vault.load });
    expect(built).toMatchObject({ ok: false, code: 'folder_invalid' });
    expect(vault.asked).toEqual([]);
  });

  it('a file added after approval is refused (not_approved) before the vault', async () => {
    const vault = watchedVault();
    repo.write('connectors/acme_chat/extra.ts', 'export const unreviewed = true;\n');
    try {
      const built = await build({ manifestPath, handlers, loadSecrets: vault.load });
      expect(built).toMatchObject({ ok: false, code: 'not_approved' });
      if (!built.ok) expect(built.message).toContain('The registry approved digest');
      expect(vault.asked).toEqual([]);
    } finally {
      const { rmSync } = await import('node:fs');
      rmSync(join(repo.root, 'connectors', 'acme_chat', 'extra.ts'));
    }
  });

  it('CONNECTOR_DEV=1 never asks the vault: a declared key reads as not set, with the reason, in one log line', async () => {
    const vault = watchedVault();
    const logs: string[] = [];
    let thrown = '';
    const built = await build(
      {
        manifestPath: join(repo.root, 'connectors', 'acme_draft', 'manifest.yaml'),
        handlers: {
          'channels:read': scopeHandler({
            run: async (_args, ctx) => {
              try {
                ctx.secrets.require('PROVIDER_ACME_DRAFT_API_KEY');
              } catch (err) {
                thrown = (err as Error).message;
              }
              return ok({ optional: ctx.secrets.get('PROVIDER_ACME_DRAFT_WEBHOOK') ?? null });
            },
          }),
        },
        loadSecrets: vault.load,
        log: (line) => logs.push(line),
      },
      { CONNECTOR_DEV: '1' },
    );
    if (!built.ok) throw new Error(built.message);
    const { client } = await connectInProcess(built.server);
    clients.push(client);
    const result = (await client.callTool({ name: 'channels_read', arguments: {} })) as CallToolResult;
    expect(result.structuredContent).toEqual({ optional: null });
    expect(thrown).toBe(
      'key PROVIDER_ACME_DRAFT_API_KEY is not set: CONNECTOR_DEV=1 serves acme_draft without vault keys. ' +
        'To use its keys, approve it on http://127.0.0.1:4321/connectors/acme_draft and start it without CONNECTOR_DEV.',
    );
    expect(vault.asked).toEqual([]);
    expect(logs.filter((l) => l.includes('CONNECTOR_DEV=1'))).toHaveLength(1);
  });
});

describe('start', () => {
  it('fails when a required key is not set, naming the key and the site page where to set it', async () => {
    const built = await build({
      manifestPath,
      handlers,
      loadSecrets: memoryVault({}),
      vault: { vaultDir: '/tmp/some-vault' },
      siteUrl: 'http://127.0.0.1:5555/',
    });
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(built.code).toBe('keys_missing');
    expect(built.message).toContain('PROVIDER_ACME_CHAT_API_KEY (API key)');
    expect(built.message).toContain('http://127.0.0.1:5555/connectors/acme_chat');
    expect(built.message).toContain('/tmp/some-vault');
    // The optional key is not a reason to stop.
    expect(built.message).not.toContain('PROVIDER_ACME_CHAT_WEBHOOK');
  });

  it('fails when a handler names a scope the manifest does not declare', async () => {
    const built = await build({
      manifestPath,
      handlers: { ...handlers, 'chat:wrte': scopeHandler({ run: async () => ok({}) }) },
      loadSecrets: memoryVault({ PROVIDER_ACME_CHAT_API_KEY: CANARY }),
    });
    expect(built).toMatchObject({ ok: false, code: 'handler_unknown_scope' });
    if (!built.ok) expect(built.message).toContain('chat:wrte');
  });

  it('fails on a manifest that does not parse, naming the field', async () => {
    const built = await createConnectorServer({
      manifestPath: writeManifest(MANIFEST.replace('requires_firearm: false', 'requires_firearm: maybe')),
      handlers,
      loadSecrets: memoryVault({}),
    });
    expect(built).toMatchObject({ ok: false, code: 'manifest_invalid' });
    if (!built.ok) expect(built.message).toContain('scopes.0.requires_firearm');
  });

  it('fails as vault_unreadable when the vault reader throws, without repeating anything but its message', async () => {
    const built = await build({
      manifestPath,
      handlers,
      loadSecrets: async () => {
        throw new Error('PROVIDER_ACME_CHAT_API_KEY.txt is readable by others');
      },
    });
    expect(built).toMatchObject({ ok: false, code: 'vault_unreadable' });
    if (!built.ok) expect(built.message).toContain('readable by others');
  });
});
