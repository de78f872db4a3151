/**
 * The append-only audit log: `{VAULT_DIR}/audit.jsonl`, one JSON object per line, mode 0600, opened
 * O_APPEND|O_NOFOLLOW. A record holds time, action, key name (null when the name was invalid),
 * outcome and caller — never the value, its length or a hash of it. Records are written in order
 * through one queue; they reach the OS before the response is sent but are not fsync-ed each
 * (the key file itself is what must be durable).
 */
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { HeldDir } from './held-dir.ts';

/** The audit log's file name inside the vault dir; never matches a key file name. */
export const AUDIT_FILE = 'audit.jsonl';

/**
 * Who called. Node does not expose SO_PEERCRED on unix sockets, so the peer's uid and pid cannot be
 * read portably (finding the peer through /proc/net/unix and every process's fds would be slow and
 * Linux-only). The socket is 0600 in a 0700 dir, so only this user (or root) can connect: `uid`
 * records that guarantee (`uid_source: "socket-owner"`) and `pid` stays null. `claimed_client` is
 * the peer's self-declared User-Agent (our client sends its pid), sanitized; it is a claim, not proof.
 */
export interface Caller {
  uid: number | null;
  uid_source: 'socket-owner';
  pid: null;
  claimed_client: string | null;
}

export interface AuditRecord {
  /** oauth_client: a client ID left the agent; oauth_exchange: a code was exchanged and the refresh token written. */
  action: 'put' | 'delete' | 'oauth_client' | 'oauth_exchange';
  name: string | null;
  outcome: string;
  format?: 'plain' | 'sops';
  caller: Caller;
}

export interface AuditLog {
  record(r: AuditRecord): Promise<void>;
  close(): Promise<void>;
  readonly path: string;
}

/** Opens (creating) the audit log in the held vault dir (held-dir.ts), never through the vault path. */
export async function openAuditLog(dir: HeldDir): Promise<AuditLog> {
  const path = join(dir.path, AUDIT_FILE);
  const fh: FileHandle = await fs.open(dir.at(AUDIT_FILE), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new Error(`the audit log ${path} is not a regular file`);
  }
  await fh.chmod(0o600);
  let queue: Promise<unknown> = Promise.resolve();
  return {
    path,
    record(r) {
      const line = JSON.stringify({ time: new Date().toISOString(), ...r }) + '\n';
      const p = queue.then(() => fh.write(line));
      queue = p.catch(() => {});
      return p.then(() => {});
    },
    async close() {
      await queue;
      await fh.close().catch(() => {});
    },
  };
}

/** Builds the caller record from the request's User-Agent (claimed, so only a safe subset is kept). */
export function callerFrom(userAgent: string | undefined): Caller {
  const claimed = userAgent ? userAgent.replace(/[^A-Za-z0-9 ._/=:()-]/g, '').slice(0, 80) || null : null;
  return { uid: process.getuid?.() ?? null, uid_source: 'socket-owner', pid: null, claimed_client: claimed };
}
