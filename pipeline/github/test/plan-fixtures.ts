/** Plans built by hand for the renderer tests, shaped exactly like pipeline/sentinel/types.ts. */
import type { Plan, PlanCounts, ProviderChange, RowChanges, ScopeRow } from '../../sentinel/types.ts';
import type { CheckReport } from '../report.ts';

export const none = <T>(): RowChanges<T> => ({ added: [], changed: [], removed: [] });

const n = (r: RowChanges<unknown>) => ({ added: r.added.length, changed: r.changed.length, removed: r.removed.length });
const sum = (rs: RowChanges<unknown>[]) =>
  rs.map(n).reduce((a, b) => ({ added: a.added + b.added, changed: a.changed + b.changed, removed: a.removed + b.removed }), {
    added: 0,
    changed: 0,
    removed: 0,
  });

/** The renderers read what a reviewer reads; what apply writes (`writes`) is left out of these. */
export function provider(p: Partial<ProviderChange> & Pick<ProviderChange, 'slug' | 'kind'>): ProviderChange {
  return {
    display_name: p.slug,
    auth_mode: 'byok',
    status_before: null,
    status_after: 'draft',
    digest_before: p.kind === 'added' ? null : 'b'.repeat(64),
    digest_after: 'a'.repeat(64),
    fields_changed: [],
    scopes: none(),
    kpi_mappings: none(),
    secrets: none(),
    writes: null,
    ...p,
  } as ProviderChange;
}

export function plan(providers: ProviderChange[], extra: Partial<Plan> = {}): Plan {
  const catalog = extra.catalog ?? { firearm_types: none(), core_kpis: none() };
  const unchanged = extra.unchanged ?? 0;
  const kinds = (k: ProviderChange['kind']) => providers.filter((p) => p.kind === k).length;
  const counts: PlanCounts = {
    providers: { added: kinds('added'), changed: kinds('changed'), unchanged, retired: kinds('retired'), revived: kinds('revived') },
    scopes: sum(providers.map((p) => p.scopes)),
    kpi_mappings: sum(providers.map((p) => p.kpi_mappings)),
    secrets: sum(providers.map((p) => p.secrets)),
    firearm_types: n(catalog.firearm_types),
    core_kpis: n(catalog.core_kpis),
  };
  return { against_empty_registry: false, providers, unchanged, catalog, source_updates: [], file_lists: [], counts, ...extra };
}

export const scope = (name: string, firearm_type: string | null = null): ScopeRow => ({
  name,
  description: `Can ${name}`,
  requires_firearm: firearm_type !== null,
  firearm_type,
  access: null,
});

/** A plan with one of everything a reviewer must notice. */
export function busyPlan(): Plan {
  return plan(
    [
      provider({
        slug: 'acme_shop',
        display_name: 'Acme Shop',
        kind: 'added',
        scopes: { ...none(), added: [scope('read_orders'), scope('refund_orders', 'REFUND_ISSUE')] },
        kpi_mappings: { ...none(), added: [{ raw_metric: 'total_sales', core_kpi: 'gross_sales', aggregation: 'sum' }] },
        secrets: {
          ...none(),
          added: [
            { key_name: 'PROVIDER_ACME_SHOP_API_KEY', label: 'API key', description: 'Settings > API', optional: false },
            { key_name: 'PROVIDER_ACME_SHOP_WEBHOOK_SECRET', label: 'Webhook secret', description: null, optional: true },
          ],
        },
      }),
      provider({
        slug: 'chatter',
        display_name: 'Chatter',
        kind: 'changed',
        status_before: 'approved',
        status_after: 'changed',
        fields_changed: ['description'],
        scopes: {
          added: [],
          changed: [
            { before: scope('chat:write'), after: scope('chat:write', 'CLIENT_VOICE') },
            { before: scope('files:delete', 'CODE_DELETE'), after: scope('files:delete') },
            { before: scope('refunds:create', 'REFUND_ISSUE'), after: scope('refunds:create', 'GENERAL') },
          ],
          removed: [scope('admin:deploy', 'PROD_DEPLOY')],
        },
        kpi_mappings: {
          ...none(),
          changed: [
            {
              before: { raw_metric: 'messages', core_kpi: 'orders', aggregation: 'sum' },
              after: { raw_metric: 'messages', core_kpi: 'orders', aggregation: 'avg' },
            },
          ],
        },
      }),
      provider({ slug: 'old_crm', display_name: 'Old CRM', kind: 'retired', status_before: 'approved', status_after: 'retired' }),
      provider({ slug: 'phoenix', display_name: 'Phoenix', kind: 'revived', status_before: 'retired', status_after: 'draft' }),
    ],
    {
      unchanged: 7,
      catalog: {
        firearm_types: { ...none(), added: [{ id: 'PAYROLL_RUN', label: 'Run payroll', description: 'Runs payroll.' }] },
        core_kpis: { ...none(), removed: [{ id: 'mer', label: 'Marketing efficiency ratio', description: 'Revenue per marketing spend.', unit: null }] },
      },
    },
  );
}

export function report(p: Partial<CheckReport> = {}): CheckReport {
  return {
    validation: { ok: true, checked: 4, errors: [], warnings: [] },
    scope: { all: false, reason: 'connectors changed', paths: ['connectors/acme_shop', 'connectors/chatter'] },
    plan: busyPlan(),
    planError: null,
    registry: 'configured',
    reporter: 'pr-comment',
    run: { sha: '0123456789abcdef0123456789abcdef01234567', url: 'https://github.com/o/r/actions/runs/42' },
    ...p,
  };
}
