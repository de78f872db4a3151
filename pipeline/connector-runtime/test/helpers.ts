/** Test helpers: a manifest in a real temp dir, and a real MCP client wired to a server in-process. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export function writeManifest(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'connector-runtime-'));
  const path = join(dir, 'manifest.yaml');
  writeFileSync(path, text);
  return path;
}

/** Wraps a client transport so every JSON-RPC message, both ways, is kept. */
export function recording(inner: Transport): { transport: Transport; traffic: JSONRPCMessage[] } {
  const traffic: JSONRPCMessage[] = [];
  const transport: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    send: (message, options) => {
      traffic.push(message);
      return inner.send(message, options);
    },
  };
  inner.onmessage = (message, extra) => {
    traffic.push(message);
    transport.onmessage?.(message, extra);
  };
  inner.onclose = () => transport.onclose?.();
  inner.onerror = (error) => transport.onerror?.(error);
  return { transport, traffic };
}

export async function connectInProcess(server: McpServer): Promise<{ client: Client; traffic: JSONRPCMessage[] }> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const { transport, traffic } = recording(clientSide);
  const client = new Client({ name: 'test-host', version: '1.0.0' });
  await client.connect(transport);
  return { client, traffic };
}

/** Each way a careless handler could pass the key on, by name. */
export function encodingsOf(value: string): Record<string, string> {
  const bytes = Buffer.from(value, 'utf8');
  return {
    base64: bytes.toString('base64'),
    base64_unpadded: bytes.toString('base64').replace(/=+$/, ''),
    base64url: bytes.toString('base64url'),
    base64url_padded: `${bytes.toString('base64url')}${'='.repeat((4 - (bytes.toString('base64url').length % 4)) % 4)}`,
    hex: bytes.toString('hex'),
    HEX: bytes.toString('hex').toUpperCase(),
    uri_component: encodeURIComponent(value),
    form: new URLSearchParams({ k: value }).toString().slice(2),
  };
}
