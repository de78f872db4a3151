/**
 * What an OAuth client credential may be used for, decided by whoever wrote the value.
 *
 * vault-agent never returns a secret value. OAuth connect needs two exceptions, and this file is
 * what keeps them narrow: the client ID goes into the authorize URL (it is public: the browser
 * shows it to the provider), and the client secret goes to the token endpoint in a code exchange.
 * Without a binding, a route that "exchanges a code at URL U with secret S" would send any key to
 * any URL its caller names. So a value is usable for OAuth only when the request that wrote it said
 * so: `PUT /v1/secrets/NAME {"value", "oauth": {"role": "client_id"|"client_secret", "token_url"}}`
 * (the site does, for the keys an oauth block names, with that block's token URL). The binding is
 * kept next to the value in `{NAME}.oauth.json` (0600), and every write of NAME replaces or removes
 * it under the same per-name lock, so a binding always describes the value beside it: binding a
 * value to another URL means writing a new value, which the writer then already knows.
 *
 * The exchange sends the secret only to the token URL it was bound to; the client ID comes back
 * only for a key bound as a client ID. Anything else is `not_bound`.
 */
import { constants, promises as fs } from 'node:fs';
import { createDirSync, isCode, replaceFile, type AtomicWriteOptions } from './atomic-write.ts';
import type { HeldDir } from './held-dir.ts';
import { createKeyedLock } from './name-lock.ts';
import { isAllowedTokenUrl } from './oauth-token.ts';
import { StoreError, type KeyStatus, type VaultStore } from './store.ts';

export const BINDING_SUFFIX = '.oauth.json';
const MAX_BINDING_BYTES = 4096;

export type OAuthRole = 'client_id' | 'client_secret';
export interface OAuthBinding {
  role: OAuthRole;
  token_url: string;
}

/** The store with bindings: every put and delete goes through here (http-handler.ts). */
export interface BoundStore {
  /** Writes the value and replaces its binding (null: removes it). */
  put(name: string, value: string, binding: OAuthBinding | null): Promise<KeyStatus>;
  remove(name: string): Promise<void>;
  /** The binding written with NAME's current value, or null. */
  binding(name: string): Promise<OAuthBinding | null>;
}

export function createBoundStore(store: VaultStore, dir: HeldDir, opts: AtomicWriteOptions = {}): BoundStore {
  const lock = createKeyedLock();
  const syncDir = createDirSync(dir.handle);
  const file = (name: string) => dir.at(name + BINDING_SUFFIX);
  const unbind = async (name: string) => {
    try {
      await fs.unlink(file(name));
    } catch (err) {
      if (!isCode(err, 'ENOENT')) throw new StoreError('write_failed', `could not remove the OAuth binding of key ${name} (${errno(err)})`);
    }
  };
  return {
    put: (name, value, binding) =>
      lock.run(name, async () => {
        // Unbound first: a crash after this leaves a value without a binding, never one bound by another write.
        await unbind(name);
        const status = await store.put(name, value);
        if (binding) {
          try {
            await replaceFile(dir, name + BINDING_SUFFIX, name, Buffer.from(JSON.stringify(binding)), opts);
            await syncDir();
          } catch (err) {
            throw new StoreError('write_failed', `key ${name} was written, but its OAuth binding could not be (${errno(err)}); set it again`);
          }
        }
        return status;
      }),
    remove: (name) =>
      lock.run(name, async () => {
        await unbind(name);
        await store.remove(name);
      }),
    async binding(name) {
      let text: string;
      try {
        const fh = await fs.open(file(name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
        try {
          const st = await fh.stat();
          if (!st.isFile() || st.size > MAX_BINDING_BYTES) return null;
          text = await fh.readFile('utf8');
        } finally {
          await fh.close();
        }
      } catch {
        return null;
      }
      return parseBinding(text);
    },
  };
}

/** A binding from its file or a PUT body; null unless exactly {role, token_url} with an allowed URL. */
export function parseBinding(raw: unknown): OAuthBinding | null {
  let v = raw;
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (Object.keys(o).length !== 2) return null;
  if ((o.role !== 'client_id' && o.role !== 'client_secret') || typeof o.token_url !== 'string') return null;
  if (o.token_url.length > 2048 || !isAllowedTokenUrl(o.token_url)) return null;
  return { role: o.role, token_url: o.token_url };
}

function errno(err: unknown): string {
  return typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : 'error';
}
