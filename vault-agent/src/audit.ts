/**
 * The append-only audit log: `{VAULT_DIR}/audit.jsonl`, one JSON object per line, mode 0600, opened
 * O_APPEND|O_NOFOLLOW. A record holds time, action, key name (null when the name was invalid),
 * outcome and caller — never the value, its length or a hash of it. Records are written in order
 * through one queue; they reach the OS before the response is sent but are not fsync-ed each
 * (the key file itself is what must be durable).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
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
  /** Appends one record, whole or not at all: a short write (a full disk) is cut back off and rejected. */
  record(r: AuditRecord): Promise<void>;
  close(): Promise<void>;
  readonly path: string;
  /** Bytes of a torn last line (a write cut short by a crash or a full disk) removed at open; 0 when none. */
  readonly repairedBytes: number;
}

/**
 * Opens (creating) the audit log in the held vault dir (held-dir.ts), never through the vault path.
 * A last line without its newline (torn by a crash or a full disk mid-write) is cut off first, so
 * every line of the log is one whole JSON record, and a `repair` record says how many bytes went.
 */
export async function openAuditLog(dir: HeldDir): Promise<AuditLog> {
  const path = join(dir.path, AUDIT_FILE);
  const fh: FileHandle = await fs.open(dir.at(AUDIT_FILE), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new Error(`the audit log ${path} is not a regular file`);
  }
  await fh.chmod(0o600);
  let size = await wholeLength(dir.at(AUDIT_FILE), st.size);
  const repairedBytes = st.size - size;
  if (repairedBytes > 0) await fh.truncate(size);
  let queue: Promise<unknown> = Promise.resolve();
  const append = (fields: Record<string, unknown>): Promise<void> => {
    const line = Buffer.from(JSON.stringify({ time: new Date().toISOString(), ...fields }) + '\n', 'utf8');
    const p = queue.then(async () => {
      try {
        const { bytesWritten } = await fh.write(line, 0, line.length, null);
        if (bytesWritten !== line.length) throw Object.assign(new Error('the audit record was only partly written'), { code: 'ENOSPC' });
        size += line.length;
      } catch (err) {
        // Never leave half a record: cut the log back to its last whole line (truncating needs no space).
        await fh.truncate(size).catch(() => {});
        throw err;
      }
    });
    queue = p.catch(() => {});
    return p;
  };
  if (repairedBytes > 0) await append({ action: 'repair', name: null, outcome: 'torn_last_line_removed', bytes: repairedBytes }).catch(() => {});
  return {
    path,
    repairedBytes,
    record: (r) => append({ ...r }),
    async close() {
      await queue;
      await fh.close().catch(() => {});
    },
  };
}

/** The length of the file up to and including its last newline (the whole lines), reading back from `size`. */
async function wholeLength(file: string, size: number): Promise<number> {
  if (size === 0) return 0;
  const fh = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const chunk = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await fh.read(chunk, 0, end - start, start);
      const at = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (at >= 0) return start + at + 1;
      end = start;
    }
    return 0;
  } finally {
    await fh.close();
  }
}

/**
 * A key write counts only once its audit record is down. The HTTP edge knows the record (action,
 * caller); the store knows the moment (the new file in place, the old one still held to roll back
 * to). The edge runs the request inside `recordingWrites(step, …)`; store.put calls `writeRecordStep()`
 * at that moment and, if the step fails (a full disk), puts the previous value back and fails the
 * write. Carried in the async context, so layers in between (oauth-bindings.ts) need not pass it on.
 */
const writeRecorder = new AsyncLocalStorage<(name: string) => Promise<void>>();

export function recordingWrites<T>(step: (name: string) => Promise<void>, fn: () => Promise<T>): Promise<T> {
  return writeRecorder.run(step, fn);
}

/** The audit step for the write in progress, when the caller asked for one. */
export function writeRecordStep(): ((name: string) => Promise<void>) | undefined {
  return writeRecorder.getStore();
}

/** Builds the caller record from the request's User-Agent (claimed, so only a safe subset is kept). */
export function callerFrom(userAgent: string | undefined): Caller {
  const claimed = userAgent ? userAgent.replace(/[^A-Za-z0-9 ._/=:()-]/g, '').slice(0, 80) || null : null;
  return { uid: process.getuid?.() ?? null, uid_source: 'socket-owner', pid: null, claimed_client: claimed };
}
