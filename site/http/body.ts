/** Reads a request body into memory with a hard size limit, before anything parses it. */
import type { IncomingMessage } from 'node:http';

/** A 64 KiB value, percent-encoded in a form, fits with room to spare. */
export const MAX_BODY_BYTES = 256 * 1024;

export type BodyResult = { ok: true; text: string } | { ok: false; reason: 'too_large' | 'aborted' };

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      resolve({ ok: false, reason: 'too_large' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve({ ok: false, reason: 'too_large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
      }
    });
    req.on('error', () => {
      if (!done) {
        done = true;
        resolve({ ok: false, reason: 'aborted' });
      }
    });
  });
}
