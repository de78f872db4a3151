/**
 * The pages' VaultPort: vault-agent's own client (vault-agent/src/client.ts), which resolves every
 * call to a result (never a throw) and never puts the value in a result or message. Before every
 * request the client checks the socket's directory (a real directory, ours, closed to group and
 * others) and the socket's owner, and sends nothing otherwise (`untrusted_socket`): a key typed
 * into the site never goes to a socket someone else could have placed. `npm start` hands the site
 * only a socket whose agent proved it is the child npm start spawned (pipeline/start/vault-process.ts).
 */
import { createVaultClient } from '../../vault-agent/src/client.ts';
import type { VaultPort } from '../src/lib/ports.ts';

/** Short: vault-agent is local, and a hung agent must not hang the page. */
const TIMEOUT_MS = 5_000;

export function createVaultPort(socketPath: string): VaultPort & { close(): void } {
  const client = createVaultClient(socketPath, { timeoutMs: TIMEOUT_MS });
  return {
    list: () => client.list(),
    put: (name, value, oauth) => client.put(name, value, oauth),
    remove: (name) => client.remove(name),
    oauthClient: (req) => client.oauthClient(req),
    oauthExchange: (req) => client.oauthExchange(req),
    close: () => client.close(),
  };
}
