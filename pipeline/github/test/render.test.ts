import { describe, expect, it } from 'vitest';
import { COMMENT_MAX_CHARS, renderComment } from '../render-comment.ts';
import { renderSummary, renderSyncFailure, renderSyncSummary } from '../render-summary.ts';
import { COMMENT_MARKER } from '../report.ts';
import { busyPlan, none, plan, provider, report, scope } from './plan-fixtures.ts';

const problem = {
  file: 'connectors/broken/manifest.yaml',
  line: 12,
  column: 5,
  path: 'scopes[1].firearm_type',
  code: 'unknown_firearm_type',
  message: 'unknown firearm type "REFUND". Did you mean REFUND_ISSUE?',
};

describe('the sticky PR comment', () => {
  it('renders the whole plan a reviewer needs (snapshot)', async () => {
    await expect(renderComment(report())).toMatchFileSnapshot('__snapshots__/comment-busy.md');
  });

  it('renders an invalid PR against an empty registry (snapshot)', async () => {
    const body = renderComment(
      report({
        validation: { ok: false, checked: 2, errors: [problem], warnings: [{ ...problem, line: 20, code: 'destructive_scope_without_firearm', message: 'looks destructive' }] },
        registryConfigured: false,
        plan: { ...busyPlan(), against_empty_registry: true },
      }),
    );
    await expect(body).toMatchFileSnapshot('__snapshots__/comment-invalid-empty-registry.md');
  });

  it('starts with the hidden marker, so the next run finds it', () => {
    expect(renderComment(report()).startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
  });

  it('calls out new firearm scopes, armed scopes and firearm type changes for human review', () => {
    const body = renderComment(report());
    const section = body.split('### 🚨 NEW FIREARM SCOPES')[1]!.split('###')[0]!;
    expect(section).toContain('<code>refund_orders</code> | <code>REFUND_ISSUE</code> | new scope');
    expect(section).toContain('<code>chat:write</code> | <code>CLIENT_VOICE</code> | now requires a firearm');
    expect(section).toContain('<code>refunds:create</code> | <code>REFUND_ISSUE</code> → <code>GENERAL</code> | firearm type changed');
  });

  it('shows scopes that lose their firearm, since a dropped gate is as risky as a new one', () => {
    const body = renderComment(report());
    expect(body).toContain('<code>files:delete</code> | <code>CODE_DELETE</code> | **no firearm required**');
    expect(body).toContain('<code>admin:deploy</code> | <code>PROD_DEPLOY</code> | scope removed');
  });

  it('lists KPI mappings to approve and keys to set, but not for retired connectors', () => {
    const body = renderComment(report());
    expect(body).toContain('<code>total_sales</code> | <code>gross_sales</code> | sum | new');
    expect(body).toContain('<code>messages</code> | <code>orders</code> | avg | changed: loses its approval');
    expect(body).toContain('<code>PROVIDER_ACME_SHOP_API_KEY</code> | API key | required');
    expect(body).toContain('<code>PROVIDER_ACME_SHOP_WEBHOOK_SECRET</code> | Webhook secret | optional');
  });

  it('says which registry the plan was computed against', () => {
    expect(renderComment(report())).toContain('Planned against **the registry**');
    const empty = { ...busyPlan(), against_empty_registry: true };
    expect(renderComment(report({ plan: empty, registryConfigured: false }))).toContain('no `REGISTRY_DATABASE_URL` secret');
    expect(renderComment(report({ plan: empty, registryConfigured: true }))).toContain('the registry has no schema yet');
  });

  it('says when there is no plan and why', () => {
    const body = renderComment(report({ plan: null, planError: 'the registry did not answer (ECONNREFUSED)' }));
    expect(body).toContain('**No plan**: the registry did not answer (ECONNREFUSED).');
    expect(body).not.toContain('### Connectors');
  });

  it('escapes author-written text so a manifest cannot forge the marker, inject HTML or break a table', () => {
    const evil = provider({
      slug: 'evil',
      kind: 'added',
      display_name: `${COMMENT_MARKER} <img src=x> | [click](https://x)`,
      secrets: { ...none(), added: [{ key_name: 'PROVIDER_EVIL_KEY', label: 'a | b <script>', description: null, optional: false }] },
    });
    const body = renderComment(report({ plan: plan([evil]) }));
    expect(body.split(COMMENT_MARKER)).toHaveLength(2);
    expect(body).not.toContain('<img');
    expect(body).not.toContain('<script>');
    expect(body).toContain('&lt;img src=x&gt; \\| \\[click\\](https://x)');
    expect(body).toContain('a \\| b &lt;script&gt;');
  });

  it('stays under GitHub\'s comment size limit with ten thousand connectors', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      provider({ slug: `c${i}`, kind: 'added', scopes: { ...none(), added: [scope(`s${i}`, 'GENERAL')] } }),
    );
    const body = renderComment(report({ plan: plan(many) }));
    expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS + 1);
    expect(body).toContain('…and 9950 more');
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
  });

  it('says plainly when the PR changes nothing in the registry', () => {
    expect(renderComment(report({ plan: plan([], { unchanged: 3 }) }))).toContain('This PR changes nothing in the registry.');
  });
});

describe('the job summary', () => {
  it('renders a table of the plan (snapshot)', async () => {
    await expect(renderSummary(report())).toMatchFileSnapshot('__snapshots__/summary-busy.md');
  });

  it('counts every kind of change in one table', () => {
    expect(renderSummary(report())).toContain('| Connectors | +1 added, ~1 changed, 1 retired, 1 revived, 7 unchanged |');
  });
});

describe('the sync summary', () => {
  it('renders an applied sync (snapshot)', async () => {
    const body = renderSyncSummary({ plan: busyPlan(), sync_id: 12, outcome: 'applied' }, 'fedcba9876543210fedcba9876543210fedcba98');
    await expect(body).toMatchFileSnapshot('__snapshots__/sync-applied.md');
  });

  it('says a no-op sync changed nothing', () => {
    const body = renderSyncSummary({ plan: plan([], { unchanged: 5 }), sync_id: 13, outcome: 'noop' }, null);
    expect(body).toContain('already up to date');
    expect(body).not.toContain('### Connectors');
  });

  it('explains a failed sync without repeating raw output', () => {
    expect(renderSyncFailure('the sync printed no plan')).toContain('❌ The sync did not complete: the sync printed no plan.');
  });
});
