/**
 * Approve one KPI mapping: POST /api/connectors/{slug}/kpis/approve with `raw_metric` and
 * `core_kpi`. Recorded in registry_events by the registry's approvals module.
 */
import type { APIRoute } from 'astro';
import { z } from 'zod';
import { SLUG_RE, isJson, json, notFound, parseBody, redirect, statusFor } from '../../../../../lib/api.ts';

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
  if (!parsed.ok) {
    return isJson(request)
      ? json(400, { ok: false, code: 'invalid_body', message: parsed.message })
      : redirect(back, { error: 'invalid_body', on: 'kpis' }, '#kpis');
  }
  const { raw_metric, core_kpi, aggregation } = parsed.data;
  const result = await locals.approvals.approveKpiMapping({
    slug,
    raw_metric,
    core_kpi,
    ...(aggregation ? { aggregation } : {}),
    actor: locals.actor,
  });
  locals.log(`approve kpi ${slug} ${core_kpi}: ${result.ok ? 'approved' : result.code}`);
  if (!result.ok) {
    if (result.code === 'not_found') return notFound(request, `No KPI mapping ${raw_metric} → ${core_kpi} on "${slug}".`);
    return isJson(request)
      ? json(statusFor(result.code), { ok: false, code: result.code, message: result.message })
      : redirect(back, { error: result.code, on: 'kpis' }, '#kpis');
  }
  return isJson(request) ? json(200, { ok: true }) : redirect(back, { kpi_approved: core_kpi }, '#kpis');
};
