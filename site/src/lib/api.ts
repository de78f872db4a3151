/**
 * Shared plumbing for the state-changing routes: body parsing with zod, and answering either a
 * browser form (303 back to the page, with a flash in the query string) or a JSON client.
 * CSRF, Origin and body size were already checked by site/server.ts before Astro ran.
 */
import { z } from 'zod';

export const SLUG_RE = /^[a-z][a-z0-9_]{1,62}$/;
export const KEY_NAME_RE = /^[A-Z][A-Z0-9_]{0,127}$/;

export function isJson(request: Request): boolean {
  return (request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json');
}

export type Parsed<T> = { ok: true; data: T } | { ok: false; message: string };

/**
 * The body as `schema` describes it. JSON bodies are checked strictly (no unknown fields); form
 * bodies may also carry `csrf`. Error messages name fields, never echo input.
 */
export async function parseBody<S extends z.ZodObject>(request: Request, schema: S): Promise<Parsed<z.output<S>>> {
  let raw: unknown;
  try {
    if (isJson(request)) {
      // An empty JSON body is an empty object: routes without fields (revoke, deny) need none.
      const text = await request.text();
      raw = text.trim() === '' ? {} : JSON.parse(text);
      // .strict() keeps the shape; its inferred type is wider only because S is generic here.
      const result = schema.strict().safeParse(raw);
      return result.success ? { ok: true, data: result.data as z.output<S> } : { ok: false, message: describe(result.error) };
    }
    const form = await request.formData();
    raw = Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === 'string'));
  } catch {
    return { ok: false, message: 'the request body is not valid JSON or form data' };
  }
  const result = schema.safeParse(raw);
  return result.success ? { ok: true, data: result.data } : { ok: false, message: describe(result.error) };
}

function describe(error: z.ZodError): string {
  const fields = error.issues.map((i) => (i.path.length ? i.path.join('.') : i.code === 'unrecognized_keys' ? 'unknown field' : 'body'));
  return `invalid or missing field(s): ${[...new Set(fields)].join(', ')}`;
}

/** 303 See Other back to a page, so reloading it never re-submits the form. */
export function redirect(path: string, params: Record<string, string>, hash = ''): Response {
  const qs = new URLSearchParams(params).toString();
  return new Response(null, { status: 303, headers: { Location: `${path}${qs ? `?${qs}` : ''}${hash}` } });
}

export function json(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
  });
}

export function notFound(request: Request, what: string): Response {
  return isJson(request)
    ? json(404, { ok: false, code: 'not_found', message: what })
    : new Response(`${what}\n`, { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** One place mapping result codes to HTTP statuses. */
export function statusFor(code: string): number {
  switch (code) {
    case 'not_found':
      return 404;
    case 'invalid_body':
    case 'invalid_value':
    case 'invalid_name':
    case 'invalid_input':
    case 'confirmation_required':
      return 400;
    case 'too_large':
      return 413;
    case 'unsupported_media_type':
      return 415;
    case 'conflict':
    case 'retired':
    case 'key_shared':
    case 'connector_not_approved':
    case 'firearm_type_mismatch':
    case 'not_oauth':
    case 'not_bound':
    case 'key_not_set':
    case 'not_connected':
    case 'changed_meanwhile':
      return 409;
    case 'vault_unavailable':
    case 'unavailable':
      return 503;
    default:
      return 502;
  }
}

/**
 * How an action route answers: JSON callers get `{ok}` or `{ok:false, code, message}` with the
 * code's status; forms are redirected back to `back` + `hash`, with `done` or `{error: code}` (plus
 * `extra`) in the query so the page can say what happened. `not_found` is a 404 either way.
 */
export function answerAction(
  request: Request,
  result: { ok: true } | { ok: false; code: string; message: string },
  opts: { back: string; hash: string; done: Record<string, string>; extra?: Record<string, string>; notFoundMessage: string },
): Response {
  if (result.ok) return isJson(request) ? json(200, { ok: true }) : redirect(opts.back, opts.done, opts.hash);
  if (result.code === 'not_found') return notFound(request, opts.notFoundMessage);
  return isJson(request)
    ? json(statusFor(result.code), { ok: false, code: result.code, message: result.message })
    : redirect(opts.back, { error: result.code, ...opts.extra }, opts.hash);
}
