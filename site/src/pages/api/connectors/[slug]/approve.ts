/**
 * Approve a connector: POST /api/connectors/{slug}/approve with the `digest` the operator was
 * shown, so a manifest that changed after the page loaded is not approved blindly (409).
 */
import type { APIRoute } from 'astro';
import { z } from 'zod';
import { SLUG_RE, answerAction, notFound, parseBody } from '../../../../lib/api.ts';

const body = z.object({ digest: z.string().regex(/^[0-9a-f]{64}$/) });

export const POST: APIRoute = async ({ params, request, locals }) => {
  const slug = params.slug ?? '';
  if (!SLUG_RE.test(slug)) return notFound(request, 'No such connector.');
  const back = `/connectors/${slug}`;
  const parsed = await parseBody(request, body);
  const answer = (result: Parameters<typeof answerAction>[1]) =>
    answerAction(request, result, { back, hash: '#status', done: { approved: '1' }, notFoundMessage: `No connector "${slug}".` });
  if (!parsed.ok) return answer({ ok: false, code: 'invalid_body', message: parsed.message });
  const result = await locals.approvals.approveProvider({ slug, digest: parsed.data.digest, actor: locals.actor });
  locals.log(`approve ${slug}: ${result.ok ? 'approved' : result.code}`);
  return answer(result);
};
