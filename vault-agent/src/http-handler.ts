/**
 * The HTTP edge: routes a request, reads and checks the body before the store sees it, answers
 * JSON, and writes audit and log lines. Nothing here ever prints the request URL or body: a value
 * pasted into the wrong place must not reach a log line either.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { callerFrom, recordingWrites, type AuditLog, type AuditRecord } from './audit.ts';
import { agentError, statusFor, type AgentError } from './errors.ts';
import { proofFor } from './proof.ts';
import { matchRoute, type Route } from './routes.ts';
import { StoreError, type VaultStore } from './store.ts';
import type { BoundStore } from './oauth-bindings.ts';
import { checkPutBodyWithBinding, type OAuthService } from './oauth-routes.ts';
import { checkContentType, MAX_BODY_BYTES } from './validate.ts';

export interface HandlerDeps {
  store: VaultStore;
  /** The store's writes with their OAuth bindings (oauth-bindings.ts): every put and delete goes here. */
  bound: BoundStore;
  /** POST /v1/oauth/client and /v1/oauth/exchange (oauth-routes.ts). */
  oauth: OAuthService;
  audit: AuditLog;
  log: (line: string) => void;
  /** The key given at spawn (proof.ts): health answers a challenge with its proof. */
  proofKey?: Buffer;
}

type Reply = { status: number; body: Record<string, unknown>; close?: boolean; allow?: string };

export function createRequestHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = Date.now();
    handle(req, deps)
      .catch((err: unknown) => {
        // Unexpected: log only the error's class and errno code, which carry no request data.
        deps.log(`vault-agent: internal error ${errName(err)}`);
        return { reply: fail(agentError('internal', 'Internal error in the vault-agent; see its log.')), label: '(internal error)' };
      })
      .then(({ reply, label }) => {
        send(res, reply);
        deps.log(`${req.method ?? '?'} ${label} -> ${reply.status}${reply.body.ok ? '' : ` ${String(reply.body.code)}`} (${Date.now() - started} ms)`);
      }, () => {});
  };
}

async function handle(req: IncomingMessage, deps: HandlerDeps): Promise<{ reply: Reply; label: string }> {
  const matched = matchRoute(req.method, req.url);
  const mutating = req.method === 'PUT' || req.method === 'DELETE';
  if (!matched.ok) {
    if (mutating) await audit(deps, req, req.method === 'PUT' ? 'put' : 'delete', null, matched.error.code);
    return { reply: { ...fail(matched.error), close: hasBody(req), allow: matched.allow }, label: '(unmatched route)' };
  }
  const route = matched.route;
  const label = labelOf(route);
  if (route.kind !== 'put' && route.kind !== 'oauth_client' && route.kind !== 'oauth_exchange' && hasBody(req)) {
    return { reply: { ...fail(agentError('invalid_body', 'This route takes no request body.')), close: true }, label };
  }
  switch (route.kind) {
    case 'health':
      // Without a key (started by hand) there is nothing to prove: the plain answer.
      return { reply: ok(route.challenge && deps.proofKey ? { proof: proofFor(deps.proofKey, route.challenge) } : {}), label };
    case 'list':
      return { reply: ok({ secrets: await deps.store.list() }), label };
    case 'status': {
      const s = await deps.store.status(route.name);
      return { reply: ok({ name: route.name, set: s !== null, updated_at: s?.updated_at ?? null }), label };
    }
    case 'delete': {
      const reply = await storeCall(() => deps.bound.remove(route.name).then(() => ok({})));
      await audit(deps, req, 'delete', route.name, reply.body.ok ? 'ok' : String(reply.body.code));
      return { reply, label };
    }
    case 'put': {
      // The write's own record is part of the write (audit.ts recordingWrites): if it cannot be
      // written, the store undoes the write and answers write_failed. Other outcomes are recorded after.
      let recorded = false;
      const step = async (name: string) => {
        await deps.audit.record({ action: 'put', name, outcome: 'ok', format: deps.store.mode, caller: callerFrom(req.headers['user-agent']) });
        recorded = true;
      };
      const reply = await recordingWrites(step, () => put(req, route.name, deps));
      if (!recorded || !reply.body.ok) await audit(deps, req, 'put', route.name, reply.body.ok ? 'ok' : String(reply.body.code));
      return { reply, label };
    }
    case 'oauth_client':
    case 'oauth_exchange': {
      const { reply, name } = await oauthCall(req, route.kind, deps);
      await audit(deps, req, route.kind, name, reply.body.ok ? 'ok' : String(reply.body.code));
      return { reply, label };
    }
  }
}

/** The OAuth routes: a JSON body, then the service's result (never a token; only a client ID comes back). */
async function oauthCall(req: IncomingMessage, kind: 'oauth_client' | 'oauth_exchange', deps: HandlerDeps): Promise<{ reply: Reply; name: string | null }> {
  const ct = checkContentType(req.headers['content-type']);
  if (!ct.ok) return { reply: { ...fail(ct.error), close: hasBody(req) }, name: null };
  const body = await readBody(req, 64 * 1024);
  if (body === null) return { reply: { ...fail(agentError('too_large', 'The request body is larger than 64 KiB.')), close: true }, name: null };
  const result = await storeCall(async () => {
    const r = kind === 'oauth_client' ? await deps.oauth.client(body) : await deps.oauth.exchange(body);
    return r.ok ? ok({ ...r.value }) : fail(r.error);
  });
  body.fill(0);
  const name = typeof result.body.name === 'string' ? result.body.name : null;
  return { reply: result, name };
}

async function put(req: IncomingMessage, name: string, deps: HandlerDeps): Promise<Reply> {
  const ct = checkContentType(req.headers['content-type']);
  if (!ct.ok) return { ...fail(ct.error), close: hasBody(req) };
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY_BYTES) return { ...fail(agentError('too_large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`)), close: true };
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === null) return { ...fail(agentError('too_large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`)), close: true };
  const value = checkPutBodyWithBinding(body);
  body.fill(0);
  if (!value.ok) return fail(value.error);
  return storeCall(async () => ok({ ...(await deps.bound.put(name, value.value.value, value.value.binding)) }));
}

/** Reads the body up to `limit` bytes; null (and the rest left unread) when it is longer. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        for (const x of chunks) x.fill(0);
        resolve(null);
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => {
      const b = Buffer.concat(chunks, size);
      for (const x of chunks) x.fill(0);
      resolve(b);
    });
    req.once('error', reject);
  });
}

async function storeCall(fn: () => Promise<Reply>): Promise<Reply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreError) return fail(agentError(err.code, err.message));
    throw err;
  }
}

async function audit(deps: HandlerDeps, req: IncomingMessage, action: AuditRecord['action'], name: string | null, outcome: string): Promise<void> {
  await deps.audit
    .record({ action, name, outcome, ...(action === 'put' ? { format: deps.store.mode } : {}), caller: callerFrom(req.headers['user-agent']) })
    .catch((err) => deps.log(`vault-agent: could not append to the audit log (${errName(err)})`));
}

function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (reply.allow) headers.allow = reply.allow;
  if (reply.close) headers.connection = 'close';
  res.writeHead(reply.status, headers);
  res.end(text);
}

function ok(fields: Record<string, unknown>): Reply {
  return { status: 200, body: { ok: true, ...fields } };
}

function fail(e: AgentError): Reply {
  return { status: statusFor(e.code), body: { ok: false, code: e.code, message: e.message } };
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function labelOf(route: Route): string {
  if (route.kind === 'oauth_client' || route.kind === 'oauth_exchange') return `/v1/oauth/${route.kind.slice(6)}`;
  return route.kind === 'health' ? '/v1/health' : route.kind === 'list' ? '/v1/secrets' : `/v1/secrets/${route.name}`;
}

function errName(err: unknown): string {
  if (err instanceof Error) return `${err.name}${'code' in err ? ` ${String((err as { code: unknown }).code)}` : ''}`;
  return typeof err;
}
