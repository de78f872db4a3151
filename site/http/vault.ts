/**
 * The pages' view of vault-agent (VaultPort) over its unix socket, following the DESIGN.md
 * contract. Every failure, including an unreachable socket, is a result, never a throw, and no
 * result or error carries the value.
 */
import http from 'node:http';
import type { VaultPort, VaultResult } from '../src/lib/ports.ts';

/** Short: vault-agent is local; a hung agent should not hang the page. */
const TIMEOUT_MS = 5_000;

export function createVaultPort(socketPath: string): VaultPort {
  return {
    list: () => call(socketPath, 'GET', '/v1/secrets'),
    put: (name, value) => call(socketPath, 'PUT', `/v1/secrets/${encodeURIComponent(name)}`, { value }),
  };
}

function call<T>(socketPath: string, method: string, path: string, body?: unknown): Promise<VaultResult<T>> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        socketPath,
        method,
        path,
        timeout: TIMEOUT_MS,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as VaultResult<T>;
            if (parsed && typeof parsed === 'object' && typeof parsed.ok === 'boolean') return resolve(parsed);
          } catch {
            // fall through
          }
          resolve({ ok: false, code: 'bad_response', message: `vault-agent answered ${res.statusCode} without its JSON result` });
        });
        res.on('error', () => resolve(unavailable()));
      },
    );
    // The socket error names the path only; it is not passed on, just mapped to a code.
    req.on('error', () => resolve(unavailable()));
    req.on('timeout', () => req.destroy());
    req.end(payload);
  });
}

const unavailable = () => ({ ok: false as const, code: 'vault_unavailable', message: 'vault-agent is not reachable' });
