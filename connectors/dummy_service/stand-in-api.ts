/**
 * The stand-in for Dummy Service's HTTP API: small, local, and strict about its key, so the
 * production line's last step (a connector reaching a provider with its vault key) runs anywhere.
 *
 *   GET    /items       → 200 {"items":[...]}
 *   DELETE /items/:id   → 200 {"deleted":"<id>"} | 404
 *   anything without `Authorization: Bearer <the key it was started with>` → 401
 *
 * It records every request's Authorization header so a test can check what the connector sent.
 * Run alone: `npx tsx connectors/dummy_service/stand-in-api.ts` (expects the key from the vault,
 * prints DUMMY_SERVICE_BASE_URL=...).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SITE_URL, isEntryPoint, vaultReaderLoader } from '#connector-runtime';

export interface StandInItem {
  id: string;
  name: string;
  total_sales: number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  /** The Authorization header exactly as received, or null when absent. */
  authorization: string | null;
}

export interface StandInApi {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  received: ReceivedRequest[];
  items: StandInItem[];
  close(): Promise<void>;
}

export interface StandInOptions {
  /** The only key the API accepts. */
  apiKey: string;
  /** Default 0: a free port. */
  port?: number;
  items?: StandInItem[];
}

export const DEFAULT_ITEMS: readonly StandInItem[] = [
  { id: 'itm_1', name: 'Blue widget', total_sales: 1250 },
  { id: 'itm_2', name: 'Red widget', total_sales: 830 },
  { id: 'itm_3', name: 'Spare sprocket', total_sales: 95 },
];

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startStandInApi(opts: StandInOptions): Promise<StandInApi> {
  const expected = Buffer.from(opts.apiKey, 'utf8');
  const items = (opts.items ?? DEFAULT_ITEMS).map((i) => ({ ...i }));
  const received: ReceivedRequest[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const method = req.method ?? 'GET';
    received.push({ method, path, authorization: req.headers.authorization ?? null });

    // The 401 never echoes what was sent: the header holds the key.
    if (!bearerMatches(req.headers.authorization, expected)) {
      return sendJson(res, 401, { error: 'unauthorized', message: 'send Authorization: Bearer <API key>' });
    }
    if (path === '/items' && method === 'GET') return sendJson(res, 200, { items });
    const one = /^\/items\/([^/]+)$/.exec(path);
    if (one && method === 'DELETE') {
      const id = decodeURIComponent(one[1] ?? '');
      const at = items.findIndex((i) => i.id === id);
      if (at === -1) return sendJson(res, 404, { error: 'not_found', message: `no item ${id}` });
      items.splice(at, 1);
      return sendJson(res, 200, { deleted: id });
    }
    sendJson(res, 404, { error: 'not_found', message: `no route ${method} ${path}` });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    items,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Run alone: the stand-in accepts the key the operator set in the vault (through the site).
if (isEntryPoint(import.meta.url)) {
  const key = 'PROVIDER_DUMMY_SERVICE_API_KEY';
  const page = `${DEFAULT_SITE_URL}/connectors/dummy_service`;
  const loaded = await vaultReaderLoader([{ key }], { setUrl: page }).catch((err: Error) => err);
  const apiKey = loaded instanceof Error ? undefined : loaded.values[key];
  if (apiKey === undefined) {
    const why = loaded instanceof Error ? loaded.message : `the key ${key} is not set in the vault. Set it on ${page}, then run this again.`;
    process.stderr.write(`stand-in API: ${why}\n`);
    process.exitCode = 1;
  } else {
    const api = await startStandInApi({ apiKey, port: Number(process.env.DUMMY_SERVICE_PORT ?? 0) });
    process.stdout.write(`DUMMY_SERVICE_BASE_URL=${api.url}\n`);
    process.stderr.write('stand-in API: accepting the vault key as bearer token; Ctrl-C to stop.\n');
  }
}
