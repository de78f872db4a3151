/**
 * Approve a connector: POST /api/connectors/{slug}/approve with the `digest` the operator was
 * shown, so a manifest that changed after the page loaded is not approved blindly (409).
 */
import type { APIRoute } from 'astro';
import { z } from 'zod';
import { SLUG_RE, isJson, json, notFound, parseBody, redirect, statusFor } from '../../../../lib/api.ts';

const body = z.object({ digest: z.string().regex(/^[0-9a-f]{64}$/) });

export const POST: APIRoute = async ({ params, request, locals }) => {
  const slug = params.slug ?? '';
  if (!SLUG_RE.test(slug)) return notFound(request, 'No such connector.');
  const back = `/connectors/${slug}`;
  const parsed = await parseBody(request, body);
  if (!parsed.ok) {
    return isJson(request)
      ? json(400, { ok: false, code: 'invalid_body', message: parsed.message })
      : redirect(back, { error: 'invalid_body' }, '#status');
  }
  const result = await locals.approvals.approveProvider({ slug, digest: parsed.data.digest, actor: locals.actor });
  locals.log(`approve ${slug}: ${result.ok ? 'approved' : result.code}`);
  if (!result.ok) {
    if (result.code === 'not_found') return notFound(request, `No connector "${slug}".`);
    return isJson(request)
      ? json(statusFor(result.code), { ok: false, code: result.code, message: result.message })
      : redirect(back, { error: result.code }, '#status');
  }
  return isJson(request) ? json(200, { ok: true }) : redirect(back, { approved: '1' }, '#status');
};
