/**
 * Gives an oauth connector's `ctx.secrets` its access-token source (oauth-tokens.ts), wired to the
 * real parts: the refresh token read through the vault reader at every refresh, a rotated one
 * stored through vault-agent (VAULT_AGENT_SOCKET, else `<data dir>/run/vault-agent.sock` where npm
 * start puts it; the client refuses a socket whose directory is not ours and private), and
 * `oauth_refresh_failed` written to registry_events through the same registry link as licences.
 */
import path from 'node:path';
import { createVaultClient } from '../../vault-agent/src/client.ts';
import type { Manifest } from '../schema/manifest.ts';
import { createAccessTokenSource } from './oauth-tokens.ts';
import { dataDirOf, type RegistryLink } from './registry-link.ts';
import type { SecretLoader, SecretValues, VaultOptions } from './secrets.ts';

/** Where the runtime finds vault-agent: VAULT_AGENT_SOCKET, else npm start's `<data dir>/run/vault-agent.sock`. */
export function runtimeVaultSocket(env: NodeJS.ProcessEnv): string {
  return path.resolve(env.VAULT_AGENT_SOCKET || path.join(dataDirOf(env), 'run', 'vault-agent.sock'));
}

export interface OAuthWiring {
  manifest: Manifest;
  secrets: SecretValues;
  link: RegistryLink;
  load: SecretLoader;
  vault: VaultOptions;
  vaultSocket: string;
  page: string;
  log(line: string): void;
}

/** Attaches the source when the manifest has an oauth block; answers what to close with the server. */
export function attachAccessTokens(w: OAuthWiring): { close(): void } | null {
  const oauth = w.manifest.oauth;
  if (!oauth) return null;
  const slug = w.manifest.provider_slug;
  const client = createVaultClient(w.vaultSocket, { timeoutMs: 5_000 });
  const source = createAccessTokenSource({
    slug,
    oauth,
    clientId: w.secrets.get(oauth.client_id_key),
    clientSecret: oauth.client_secret_key ? w.secrets.get(oauth.client_secret_key) : undefined,
    async readRefreshToken() {
      const read = await w.load([{ key: oauth.refresh_token_key, optional: true }], w.vault);
      return read.values[oauth.refresh_token_key] ?? null;
    },
    async storeRefreshToken(value) {
      const put = await client.put(oauth.refresh_token_key, value);
      return put.ok ? { ok: true } : { ok: false, code: put.code, message: put.message };
    },
    async recordFailure(details) {
      const done = await w.link.run((db) =>
        db.query(`INSERT INTO registry_events (provider_slug, kind, actor, details) VALUES ($1, 'oauth_refresh_failed', $2, $3::jsonb)`, [
          slug,
          `${slug} connector`,
          JSON.stringify({ key: oauth.refresh_token_key, ...details }),
        ]),
      );
      if (!done.ok) throw new Error(done.message);
    },
    redactFrom: (value) => w.secrets.addRedaction(value),
    page: w.page,
    log: w.log,
  });
  w.secrets.attachAccessTokens(source);
  return { close: () => client.close() };
}
