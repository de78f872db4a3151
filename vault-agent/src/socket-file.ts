/**
 * The socket path before listening: a leftover socket from an agent that died is replaced; a socket
 * that still answers means another agent is running, and anything that is not a socket is refused.
 */
import { promises as fs } from 'node:fs';
import { connect } from 'node:net';
import { isCode } from './atomic-write.ts';

/** Linux sun_path holds 108 bytes including the terminating NUL (macOS: 104). */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

export type SocketPrep = { ok: true } | { ok: false; message: string };

export async function prepareSocketPath(path: string): Promise<SocketPrep> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    return { ok: false, message: `The socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, the limit for unix sockets. Use a shorter --socket or VAULT_AGENT_SOCKET.` };
  }
  let st;
  try {
    st = await fs.lstat(path);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return { ok: true };
    throw err;
  }
  if (!st.isSocket()) {
    return { ok: false, message: `Refusing to start: ${path} exists and is not a socket. Remove it or choose another --socket.` };
  }
  if (await answers(path)) {
    return { ok: false, message: `A vault-agent is already running on ${path}. Stop it first, or start this one with another --socket.` };
  }
  await fs.unlink(path); // stale: its agent is gone
  return { ok: true };
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
