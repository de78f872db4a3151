/**
 * Approve one KPI mapping: POST /api/connectors/{slug}/kpis/approve with `raw_metric` and
 * `core_kpi`. Recorded in registry_events by the registry's approvals module.
 */
import type { APIRoute } from 'astro';
import { z } from 'zod';
import { SLUG_RE, answerAction, notFound, parseBody } from '../../../../../lib/api.ts';

const body = z.object({
  raw_metric: z.string().min(1).max(200),
  core_kpi: z.string().regex(/^[a-z][a-z0-9_]*$/).max(200),
  // What the operator saw; optional so JSON clients may approve by the pair alone.
  aggregation: z.enum(['sum', 'avg', 'min', 'max', 'last']).optional(),
});

export const POST: APIRoute = async ({ params, request, locals }) => {
  const slug = params.slug ?? '';
  if (!SLUG_RE.test(slug)) return notFound(request, 'No such connector.');
  const back = `/connectors/${slug}`;
  const parsed = await parseBody(request, body);
  const answer = (result: Parameters<typeof answerAction>[1], kpi = '') =>
    answerAction(request, result, {
      back,
      hash: '#kpis',
      done: { kpi_approved: kpi },
      extra: { on: 'kpis' },
      notFoundMessage: parsed.ok ? `No KPI mapping ${parsed.data.raw_metric} → ${parsed.data.core_kpi} on "${slug}".` : `No such KPI mapping on "${slug}".`,
    });
  if (!parsed.ok) return answer({ ok: false, code: 'invalid_body', message: parsed.message });
  const { raw_metric, core_kpi, aggregation } = parsed.data;
  const result = await locals.approvals.approveKpiMapping({
    slug,
    raw_metric,
    core_kpi,
    ...(aggregation ? { aggregation } : {}),
    actor: locals.actor,
  });
  locals.log(`approve kpi ${slug} ${core_kpi}: ${result.ok ? 'approved' : result.code}`);
  return answer(result, core_kpi);
};
