/**
 * Approve KPI mappings: POST /api/connectors/{slug}/kpis/approve with `raw_metric` and `core_kpi`
 * (one mapping), or with `all` (`all=yes` / `"all": true`) and the connector's `digest` as the page
 * showed it: every mapping not approved yet, of an approved connector (409 connector_not_approved
 * otherwise, 409 conflict when it changed since). Recorded in registry_events, one row per mapping,
 * by the registry's approvals module.
 */
import type { APIRoute } from 'astro';
import { z } from 'zod';
import { SLUG_RE, answerAction, isJson, json, notFound, parseBody, redirect } from '../../../../../lib/api.ts';

const body = z.object({
  raw_metric: z.string().min(1).max(200).optional(),
  core_kpi: z.string().regex(/^[a-z][a-z0-9_]*$/).max(200).optional(),
  // What the operator saw; optional so JSON clients may approve by the pair alone.
  aggregation: z.enum(['sum', 'avg', 'min', 'max', 'last']).optional(),
  all: z.union([z.literal(true), z.literal('yes')]).optional(),
  digest: z.string().regex(/^[0-9a-f]{64}$/).optional(),
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
      notFoundMessage: parsed.ok && parsed.data.raw_metric ? `No KPI mapping ${parsed.data.raw_metric} → ${parsed.data.core_kpi} on "${slug}".` : `No such KPI mapping on "${slug}".`,
    });
  if (!parsed.ok) return answer({ ok: false, code: 'invalid_body', message: parsed.message });
  const { raw_metric, core_kpi, aggregation, all, digest } = parsed.data;

  if (all) {
    if (!digest || raw_metric || core_kpi || aggregation) {
      return answer({ ok: false, code: 'invalid_body', message: 'approving all mappings takes the connector\'s digest (as its page shows it) and no single mapping' });
    }
    const result = await locals.approvals.approveAllKpiMappings({ slug, digest, actor: locals.actor });
    locals.log(`approve all kpis ${slug}: ${result.ok ? `${result.approved.length} approved` : result.code}`);
    if (!result.ok) {
      if (result.code === 'not_found') return notFound(request, `No connector "${slug}".`);
      // The form's flash says which: the connector changed (not one mapping), or it is not approved.
      if (!isJson(request)) return redirect(back, { error: result.code === 'conflict' ? 'stale_digest' : result.code, on: 'kpis' }, '#kpis');
      return answer(result);
    }
    return isJson(request)
      ? json(200, { ok: true, approved: result.approved })
      : redirect(back, { kpis_approved: String(result.approved.length) }, '#kpis');
  }

  if (!raw_metric || !core_kpi || digest) {
    return answer({ ok: false, code: 'invalid_body', message: 'approving one mapping takes raw_metric and core_kpi (or all, with the digest, for every mapping)' });
  }
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
