/**
 * A client for the vault-agent over its unix socket, for the site, `npm start` and tests. Every
 * method resolves to a result — `{ ok: true, … }` or `{ ok: false, code, message, status? }` —
 * and never rejects. `code: 'unavailable'` means no agent answers on the socket. The value given to
 * put() is only ever written to the request body: no result or message carries it.
 *
 * Before every request it checks where the socket is (safety.ts socketPlaceProblem): a socket
 * whose directory is a link, another user's, or open to others could be anyone's, so the client
 * answers `code: 'untrusted_socket'` and sends nothing, not even a health check.
 */
import http from 'node:http';
import { socketPlaceProblem } from './safety.ts';

export type VaultFailure = { ok: false; code: string; message: string; status?: number };
export type VaultResult<T extends object> = ({ ok: true } & T) | VaultFailure;

export interface KeyTime {
  name: string;
  updated_at: string;
}

export interface VaultClient {
  health(): Promise<VaultResult<object>>;
  /** `GET /v1/health?challenge=C`: the agent started with a proof key answers `proof` (proof.ts). */
  challenge(challenge: string): Promise<VaultResult<{ proof?: unknown }>>;
  list(): Promise<VaultResult<{ secrets: KeyTime[] }>>;
  status(name: string): Promise<VaultResult<{ name: string; set: boolean; updated_at: string | null }>>;
  /** `oauth`: marks the value as an OAuth client credential of that token URL (oauth-bindings.ts). */
  put(name: string, value: string, oauth?: { role: 'client_id' | 'client_secret'; token_url: string }): Promise<VaultResult<KeyTime>>;
  remove(name: string): Promise<VaultResult<object>>;
  /** `POST /v1/oauth/client`: the client ID of a key bound as that token URL's client ID (oauth-routes.ts). */
  oauthClient(req: { client_id_key: string; client_secret_key?: string; token_url: string }): Promise<VaultResult<{ client_id: string }>>;
  /** `POST /v1/oauth/exchange`: the agent exchanges the code and stores the refresh token; never answers a token. */
  oauthExchange(req: OAuthExchangeRequest): Promise<VaultResult<{ name: string; updated_at: string; scope: string | null; expires_in: number | null }>>;
  /** Closes kept-alive connections. */
  close(): void;
}

export interface OAuthExchangeRequest {
  token_url: string;
  client_id_key: string;
  client_secret_key?: string;
  refresh_token_key: string;
  code: string;
  code_verifier: string;
  redirect_uri: string;
}

/** The agent waits up to 10 s for the token endpoint; the exchange gets that and some. */
const EXCHANGE_TIMEOUT_MS = 15_000;

export interface ClientOptions {
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export function createVaultClient(socketPath: string, opts: ClientOptions = {}): VaultClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const timeout = opts.timeoutMs ?? 10_000;
  const userAgent = `northstar-vault-client/1 pid=${process.pid}`;

  async function call<T extends object>(method: string, path: string, body?: string, timeoutMs = timeout): Promise<VaultResult<T>> {
    const problem = await socketPlaceProblem(socketPath).catch((err: NodeJS.ErrnoException) => `its directory could not be checked (${err.code ?? 'error'})`);
    if (problem) {
      return failure(
        'untrusted_socket',
        `Refusing to talk to the vault-agent at ${socketPath}: ${problem}, so another user's process could be answering there. ` +
          `Use a socket in a private directory (yours, mode 0700), as npm start does by default.`,
      );
    }
    return send<T>(method, path, body, timeoutMs);
  }

  function send<T extends object>(method: string, path: string, body: string | undefined, timeout: number): Promise<VaultResult<T>> {
    return new Promise((resolve) => {
      const headers: Record<string, string | number> = { 'user-agent': userAgent, accept: 'application/json' };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request({ socketPath, method, path, headers, agent, timeout }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => resolve(failure('unavailable', `The connection to the vault-agent at ${socketPath} broke.`)));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            return resolve(failure('bad_response', `The vault-agent at ${socketPath} answered ${res.statusCode} without JSON.`, res.statusCode));
          }
          if (!parsed || typeof parsed !== 'object' || typeof (parsed as { ok?: unknown }).ok !== 'boolean') {
            return resolve(failure('bad_response', `The vault-agent at ${socketPath} answered ${res.statusCode} without a result.`, res.statusCode));
          }
          const p = parsed as { ok: boolean; code?: unknown; message?: unknown };
          if (p.ok) return resolve(parsed as VaultResult<T>);
          resolve(failure(String(p.code ?? 'error'), String(p.message ?? 'The vault-agent refused the request.'), res.statusCode));
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      // Socket errors are mapped to codes; their text (which names only the path) is not passed on.
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ETIMEDOUT') resolve(failure('timeout', `The vault-agent at ${socketPath} did not answer within ${timeout} ms.`));
        else resolve(failure('unavailable', `No vault-agent is answering at ${socketPath} (${err.code ?? 'error'}). Start it with npm start or npm run vault-agent.`));
      });
      req.end(body);
    });
  }

  const keyPath = (name: string) => `/v1/secrets/${encodeURIComponent(name)}`;
  return {
    health: () => call('GET', '/v1/health'),
    challenge: (c) => call('GET', `/v1/health?challenge=${encodeURIComponent(c)}`),
    list: () => call('GET', '/v1/secrets'),
    status: (name) => call('GET', keyPath(name)),
    put: (name, value, oauth) => call('PUT', keyPath(name), JSON.stringify(oauth ? { value, oauth } : { value })),
    remove: (name) => call('DELETE', keyPath(name)),
    oauthClient: (req) => call('POST', '/v1/oauth/client', JSON.stringify(req)),
    oauthExchange: (req) => call('POST', '/v1/oauth/exchange', JSON.stringify(req), Math.max(timeout, EXCHANGE_TIMEOUT_MS)),
    close: () => agent.destroy(),
  };
}

function failure(code: string, message: string, status?: number): VaultFailure {
  return status === undefined ? { ok: false, code, message } : { ok: false, code, message, status };
}
