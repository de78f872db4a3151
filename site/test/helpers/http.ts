/**
 * Plain HTTP requests with full control of Host and Origin (fetch would not let a test forge
 * Host). Every response is remembered so a test can search all of them for a canary.
 * A request carries the session cookie of the site it goes to when the test logged in there
 * (helpers/login.ts; the fixture does); `{ session: false }` sends none, as a stranger would.
 */
import http from 'node:http';
import { sessionCookieFor } from './login.ts';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export const seen: Reply[] = [];

export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; session?: boolean } = {},
): Promise<Reply> {
  const target = new URL(url);
  const cookie = opts.session === false ? undefined : sessionCookieFor(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: opts.method ?? 'GET',
        headers: { host: target.host, ...(cookie ? { cookie } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const reply = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
          seen.push(reply);
          resolve(reply);
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function form(fields: Record<string, string>): { headers: Record<string, string>; body: string } {
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

/** Everything any response said, headers included, for "never appears" checks. */
export function everythingSeen(): string {
  return seen.map((r) => `${r.status}\n${JSON.stringify(r.headers)}\n${r.body}`).join('\n');
}
