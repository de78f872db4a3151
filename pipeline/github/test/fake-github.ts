/**
 * A local GitHub REST API for tests: a real node:http server that records every request and
 * serves the routes pr-comment uses: who the token is (`GET /user`), a pull request
 * (`GET /repos/O/R/pulls/N`) and the issue comments (list with Link pagination, create, update).
 * Comments it creates are written by `identity`, as GitHub writes them by the token's account.
 * `prefix` emulates GitHub Enterprise Server (`/api/v3`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
}

export interface Account {
  login: string;
  id: number;
  type: 'Bot' | 'User';
}

/** The Actions job token's account on github.com. */
export const ACTIONS_BOT: Account = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

export interface StoredComment {
  id: number;
  body: string;
  user: Account;
}

export interface StoredPull {
  head: string;
  base: string;
  state?: 'open' | 'closed';
}

/** A canned answer that replaces the next matching request's normal handling. */
export interface Scripted {
  method: string;
  status: number;
  headers?: Record<string, string>;
  /** Still perform the normal handling before answering (a POST that lands and then fails). */
  apply?: boolean;
}

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  comments: StoredComment[];
  /** Pull requests by number. */
  pulls: Record<number, StoredPull>;
  /** The token's account: the author of the comments it creates. */
  identity: Account;
  /**
   * What `GET /user` answers: `installation` tokens (the Actions job token, a GitHub App's) get 403
   * "Resource not accessible by integration", `user` tokens (a PAT) get their account.
   */
  tokenKind: 'installation' | 'user';
  /** Answer every comment route with this status (403 for a token without pull-requests: write). */
  denyWith: number | null;
  script: Scripted[];
  close(): Promise<void>;
}

const PER_PAGE_MAX = 100;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : null;
}

export async function startFakeGitHub(options: { prefix?: string; owner?: string; repo?: string } = {}): Promise<FakeGitHub> {
  const prefix = options.prefix ?? '';
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'connectors';
  let nextId = 1000;
  let origin = '';

  const state: Omit<FakeGitHub, 'url' | 'close'> = {
    requests: [],
    comments: [],
    pulls: {},
    identity: ACTIONS_BOT,
    tokenKind: 'installation',
    denyWith: null,
    script: [],
  };

  const server: Server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const body = await readBody(req);
    state.requests.push({
      method: req.method ?? '',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      authorization: req.headers.authorization,
      body,
    });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    const path = u.pathname.startsWith(prefix) ? u.pathname.slice(prefix.length) : null;
    const scriptedAt = state.script.findIndex((s) => s.method === req.method);
    const scripted = scriptedAt >= 0 ? state.script.splice(scriptedAt, 1)[0] : undefined;
    if (scripted && !scripted.apply) return send(scripted.status, { message: 'scripted' }, scripted.headers);
    if (path === '/user' && req.method === 'GET') {
      if (state.tokenKind === 'installation') {
        return send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user', status: '403' });
      }
      return send(200, state.identity);
    }
    const pull = path && new RegExp(`^/repos/${owner}/${repo}/pulls/(\\d+)$`).exec(path);
    if (pull && req.method === 'GET') {
      const p = state.pulls[Number(pull[1])];
      if (!p) return send(404, { message: 'Not Found' });
      return send(200, {
        number: Number(pull[1]),
        state: p.state ?? 'open',
        head: { sha: p.head, ref: 'feature', repo: { full_name: `${owner}/${repo}` } },
        base: { sha: p.base, ref: 'main', repo: { full_name: `${owner}/${repo}` } },
      });
    }
    const list = path && new RegExp(`^/repos/${owner}/${repo}/issues/(\\d+)/comments$`).exec(path);
    const one = path && new RegExp(`^/repos/${owner}/${repo}/issues/comments/(\\d+)$`).exec(path);
    if (!list && !one) return send(404, { message: 'Not Found' });
    if (state.denyWith) return send(state.denyWith, { message: 'Resource not accessible by integration' });

    const answer = (status: number, payload: unknown, headers?: Record<string, string>) =>
      scripted ? send(scripted.status, { message: 'scripted' }, scripted.headers) : send(status, payload, headers);

    const view = (c: StoredComment) => ({ ...c, html_url: `${origin}/${owner}/${repo}/pull/1#issuecomment-${c.id}` });
    if (list && req.method === 'GET') {
      const perPage = Math.min(PER_PAGE_MAX, Number(u.searchParams.get('per_page') ?? 30));
      const page = Number(u.searchParams.get('page') ?? 1);
      const last = Math.max(1, Math.ceil(state.comments.length / perPage));
      const slice = state.comments.slice((page - 1) * perPage, page * perPage).map(view);
      const link =
        page < last ? { link: `<${origin}${u.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next", <${origin}${u.pathname}?per_page=${perPage}&page=${last}>; rel="last"` } : undefined;
      return answer(200, slice, link);
    }
    if (list && req.method === 'POST') {
      const c: StoredComment = { id: nextId++, body: (body as { body: string }).body, user: { ...state.identity } };
      state.comments.push(c);
      return answer(201, view(c));
    }
    if (one && req.method === 'PATCH') {
      const c = state.comments.find((x) => x.id === Number(one[1]));
      if (!c) return send(404, { message: 'Not Found' });
      c.body = (body as { body: string }).body;
      return answer(200, view(c));
    }
    return send(405, { message: 'Method Not Allowed' });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url: `${origin}${prefix}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  });
}
