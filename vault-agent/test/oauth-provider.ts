/**
 * A real OAuth 2.0 provider on loopback for the OAuth connect tests: oauth2-mock-server (its
 * authorize endpoint redirects straight back with a code, its token endpoint verifies PKCE), plus
 * what a real provider does and the mock leaves out: client authentication (by Basic or in the
 * body) in a front door that checks it before the grant is looked at; and, through the mock's
 * BeforeResponse hook, refresh tokens that are valid only while issued and not yet rotated away,
 * `invalid_grant` for any other, the granted scopes, and `expires_in`.
 *
 * Every token it issues and every token request it receives are kept, so tests can count token
 * requests and search every page, log, row and message for any token (canary checks).
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Server, Events, type MutableResponse } from 'oauth2-mock-server';

export interface ProviderOptions {
  clientId?: string;
  /** null: a public client (no secret expected). */
  clientSecret?: string | null;
  /** Refresh rotates: each refresh issues a new refresh token and the old one stops working. Default true. */
  rotate?: boolean;
  /** expires_in of access tokens, seconds. Default 3600. */
  expiresIn?: number;
  /** The scope the token response names (null: leave it out). Default: the scope the authorize request asked for. */
  grantScope?: string | null;
  /** Refuse client credentials sent by HTTP Basic (401 invalid_client), to exercise the body fallback. */
  refuseBasic?: boolean;
  /** The host the URLs name: 127.0.0.1 (default) or localhost (another site than the God Config's 127.0.0.1). */
  urlHost?: '127.0.0.1' | 'localhost';
  /**
   * The authorize endpoint first shows a consent page whose Allow link continues (as real providers
   * do), so the redirect back is a navigation the provider's page started. Default false: it
   * redirects back at once.
   */
  consentPage?: boolean;
}

export interface TokenCall {
  grantType: string;
  body: Record<string, string>;
  basic: boolean;
}

export interface MockProvider {
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string | null;
  /** Every token request, in order. */
  calls: TokenCall[];
  /** Every access and refresh token issued (for "appears nowhere" checks). */
  issued: string[];
  /** Refresh tokens that work now. */
  liveRefreshTokens: Set<string>;
  /** Makes a refresh token valid (as if issued by an earlier grant). */
  grantRefreshToken(token?: string): string;
  /** Revokes every grant: any refresh answers invalid_grant. */
  revokeAll(): void;
  options: Required<Omit<ProviderOptions, 'grantScope'>> & { grantScope: string | null | undefined };
  stop(): Promise<void>;
}

export async function startMockProvider(opts: ProviderOptions = {}): Promise<MockProvider> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const port = server.address().port;
  const host = opts.urlHost ?? '127.0.0.1';
  const options = {
    clientId: opts.clientId ?? `client-${randomBytes(4).toString('hex')}`,
    clientSecret: opts.clientSecret === undefined ? `secret-${randomBytes(12).toString('hex')}` : opts.clientSecret,
    rotate: opts.rotate ?? true,
    expiresIn: opts.expiresIn ?? 3600,
    grantScope: opts.grantScope,
    refuseBasic: opts.refuseBasic ?? false,
    urlHost: host,
    consentPage: opts.consentPage ?? false,
  };
  const calls: TokenCall[] = [];
  const issued: string[] = [];
  const live = new Set<string>();
  const scopesByCode = new Map<string, string>();

  const newRefresh = (t = `rt-${randomBytes(16).toString('hex')}`) => {
    live.add(t);
    issued.push(t);
    return t;
  };

  server.service.on(Events.BeforeAuthorizeRedirect, (redirect: { url: URL }, req: IncomingMessage & { query: Record<string, string> }) => {
    const code = redirect.url.searchParams.get('code');
    if (code) scopesByCode.set(code, req.query.scope ?? '');
  });

  // The provider's front door: it authenticates the client before the grant is looked at (as real
  // providers do; the mock would consume the code's PKCE challenge first), then hands the request on.
  const front = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const target = new URL(req.url ?? '/', 'http://provider');
      if (req.method === 'GET' && target.pathname === '/authorize' && options.consentPage) {
        if (target.searchParams.get('consent') !== 'yes') {
          target.searchParams.set('consent', 'yes');
          const href = `${target.pathname}${target.search}`.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(`<!doctype html><title>Consent</title><h1>Allow access?</h1><a id="allow" href="${href}">Allow</a>`);
          return;
        }
        target.searchParams.delete('consent');
        req.url = `${target.pathname}${target.search}`;
      }
      if (req.method === 'POST' && (req.url ?? '').split('?')[0] === '/token') {
        const body = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
        const auth = req.headers.authorization ?? '';
        const basic = auth.startsWith('Basic ');
        calls.push({ grantType: body.grant_type ?? '', body, basic });
        let id = body.client_id;
        let secret = body.client_secret;
        if (basic) {
          const [u, p] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
          id = decodeURIComponent((u ?? '').replace(/\+/g, ' '));
          secret = decodeURIComponent((p ?? '').replace(/\+/g, ' '));
        }
        const refuse = (error: string, description: string) => {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error, error_description: description }));
        };
        if (basic && options.refuseBasic) return refuse('invalid_client', 'HTTP Basic is not accepted here; send client_secret in the body');
        if (id !== options.clientId || (options.clientSecret !== null && secret !== options.clientSecret)) return refuse('invalid_client', 'Unknown client or wrong secret');
      }
      const inner = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      inner.on('error', () => res.destroy());
      inner.end(raw);
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
  const frontPort = (front.address() as AddressInfo).port;

  server.service.on(Events.BeforeResponse, (response: MutableResponse, req: IncomingMessage & { body: Record<string, string> }) => {
    const body = req.body;
    const refuse = (status: number, error: string, description: string) => {
      response.statusCode = status;
      response.body = { error, error_description: description };
    };
    const ok = response.body as Record<string, unknown>;
    if (body.grant_type === 'refresh_token') {
      if (!body.refresh_token || !live.has(body.refresh_token)) return refuse(400, 'invalid_grant', 'The refresh token is invalid, expired or revoked');
      if (options.rotate) {
        live.delete(body.refresh_token);
        ok.refresh_token = newRefresh();
      } else {
        delete ok.refresh_token;
      }
    } else if (body.grant_type === 'authorization_code') {
      ok.refresh_token = newRefresh();
      const asked = scopesByCode.get(body.code ?? '') ?? '';
      scopesByCode.delete(body.code ?? '');
      if (options.grantScope === null) delete ok.scope;
      else ok.scope = options.grantScope ?? asked;
    }
    ok.expires_in = options.expiresIn;
    delete ok.id_token;
    if (typeof ok.access_token === 'string') issued.push(ok.access_token);
  });

  return {
    authorizeUrl: `http://${host}:${frontPort}/authorize`,
    tokenUrl: `http://${host}:${frontPort}/token`,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    calls,
    issued,
    liveRefreshTokens: live,
    grantRefreshToken: (t) => newRefresh(t),
    revokeAll: () => live.clear(),
    options,
    async stop() {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      front.closeAllConnections();
      await closed;
      if (server.listening) await server.stop();
    },
  };
}
