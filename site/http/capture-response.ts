/**
 * Records what a handler writes to a ServerResponse (status, the headers it passes to writeHead,
 * body bytes) while still sending it, so the server can keep a rendered page. Only the handler's
 * own headers are kept: the server's security and cache headers are set again on every response.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CachedPage } from './page-cache.ts';

export interface Capture {
  /** The whole response, or null if it was not completed normally (errors, a destroyed socket). */
  result(): CachedPage | null;
}

export function captureResponse(res: ServerResponse): Capture {
  const chunks: Buffer[] = [];
  let headers: Record<string, string | string[]> | null = null;
  let ended = false;
  let broken = false;
  const toBuffer = (chunk: unknown): Buffer | null =>
    typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof Uint8Array ? Buffer.from(chunk) : null;
  const keep = (chunk: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const buf = toBuffer(chunk);
    if (buf) chunks.push(buf);
    else broken = true;
  };

  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const given = rest.find((r) => r !== null && typeof r === 'object') as OutgoingHttpHeaders | undefined;
    headers = {};
    for (const [name, value] of Object.entries(given ?? {})) {
      if (value === undefined) continue;
      headers[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
    }
    return writeHead(status, ...rest);
  }) as ServerResponse['writeHead'];
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    keep(chunk);
    ended = true;
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
  res.once('error', () => (broken = true));

  return {
    result() {
      if (!ended || broken || !headers) return null;
      return { status: res.statusCode, headers, body: Buffer.concat(chunks) };
    },
  };
}
