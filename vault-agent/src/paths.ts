/**
 * Where the vault and the socket live by default. Pure functions of the environment passed in, so
 * `npm start`, the CLI, the reader and tests resolve the same paths the same way.
 */
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

type Env = Record<string, string | undefined>;

/** Default vault dir: `~/northstar-keys`. */
export function defaultVaultDir(home: string = homedir()): string {
  return join(home, 'northstar-keys');
}

/**
 * Default runtime dir, private to the user: `$XDG_RUNTIME_DIR/northstar-vault` when that is set
 * (systemd makes it 0700 per user), else `<tmpdir>/northstar-vault-<uid>` (created 0700 and
 * checked for ownership, since anyone can pre-create names in a shared tmp dir).
 */
export function defaultRuntimeDir(env: Env = process.env, uid: number = currentUid()): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'northstar-vault');
  return join(tmpdir(), `northstar-vault-${uid}`);
}

/** Default socket: `<runtime dir>/vault-agent.sock`. */
export function defaultSocketPath(env: Env = process.env, uid: number = currentUid()): string {
  return join(defaultRuntimeDir(env, uid), 'vault-agent.sock');
}

/** Vault dir from an explicit value, else `VAULT_DIR`, else the default; always absolute. */
export function resolveVaultDir(explicit?: string, env: Env = process.env): string {
  return resolve(explicit || env.VAULT_DIR || defaultVaultDir());
}

/** Socket path from an explicit value, else `VAULT_AGENT_SOCKET`, else the default; always absolute. */
export function resolveSocketPath(explicit?: string, env: Env = process.env): string {
  return resolve(explicit || env.VAULT_AGENT_SOCKET || defaultSocketPath(env));
}

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/** Both paths at once, as `npm start` and the CLI resolve them (explicit value, env, default). */
export function resolveVaultPaths(o: { vaultDir?: string; socketPath?: string } = {}, env: Env = process.env): { vaultDir: string; socketPath: string } {
  return { vaultDir: resolveVaultDir(o.vaultDir, env), socketPath: resolveSocketPath(o.socketPath, env) };
}
