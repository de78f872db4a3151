import { describe, expect, it } from 'vitest';
import { COMMENT_MAX_CHARS, SUMMARY_LIMIT_BYTES, SUMMARY_MAX_BYTES, fitSummary } from '../fit.ts';
import { renderComment } from '../render-comment.ts';
import { renderSummary, renderSyncFailure, renderSyncSummary } from '../render-summary.ts';
import { COMMENT_MARKER } from '../report.ts';
import { meaning } from './markdown-meaning.ts';
import { busyPlan, none, plan, provider, report, scope } from './plan-fixtures.ts';
import type { Problem } from '../../validate/types.ts';

const problem: Problem = {
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
        registry: 'unconfigured',
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
    expect(section).toContain('`refund_orders` | `REFUND_ISSUE` | new scope');
    expect(section).toContain('`chat:write` | `CLIENT_VOICE` | now requires a firearm');
    expect(section).toContain('`refunds:create` | `REFUND_ISSUE` → `GENERAL` | firearm type changed');
  });

  it('shows scopes that lose their firearm, since a dropped gate is as risky as a new one', () => {
    const body = renderComment(report());
    expect(body).toContain('`files:delete` | `CODE_DELETE` | **no firearm required**');
    expect(body).toContain('`admin:deploy` | `PROD_DEPLOY` | scope removed');
  });

  it('lists KPI mappings to approve and keys to set, but not for retired connectors', () => {
    const body = renderComment(report());
    expect(body).toContain('`total_sales` | `gross_sales` | `sum` | new');
    expect(body).toContain('`messages` | `orders` | `avg` | changed: loses its approval');
    expect(body).toContain('`PROVIDER_ACME_SHOP_API_KEY` | `API key` | required');
    expect(body).toContain('`PROVIDER_ACME_SHOP_WEBHOOK_SECRET` | `Webhook secret` | optional');
  });

  it('says which registry the plan was computed against', () => {
    expect(renderComment(report())).toContain('Planned against **the registry**');
    const empty = { ...busyPlan(), against_empty_registry: true };
    expect(renderComment(report({ plan: empty, registry: 'unconfigured' }))).toContain('no `REGISTRY_DATABASE_URL` is configured for the plan comment');
    expect(renderComment(report({ plan: empty, registry: 'configured' }))).toContain('the registry has no schema yet');
  });

  it('says when there is no plan and why', () => {
    const body = renderComment(report({ plan: null, planError: 'the registry did not answer (ECONNREFUSED)' }));
    expect(body).toContain('**No plan**: `the registry did not answer (ECONNREFUSED)`.');
    expect(body).not.toContain('### Connectors');
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

  it('is cut under 65,536 characters when its rows are huge, with a note that points to the run', () => {
    const long = (i: number) => ({ ...problem, line: i + 1, message: `${'x'.repeat(3000)} ${i}` });
    const body = renderComment(report({ validation: { ok: false, checked: 1, errors: Array.from({ length: 50 }, (_, i) => long(i)), warnings: [] } }));
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toMatch(/This comment was cut here: GitHub allows 65,536 characters in a comment\. the job summary of \[this workflow run\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/42\) has the whole plan/);
    const m = meaning(body);
    // Cut between rows: every table row is whole.
    expect(new Set(m.rowCells)).toEqual(new Set([4, ...meaning(renderComment(report())).rowCells]));
  });

  it('says plainly when the PR changes nothing in the registry', () => {
    expect(renderComment(report({ plan: plan([], { unchanged: 3 }) }))).toContain('This PR changes nothing in the registry.');
  });
});

describe('the job summary', () => {
  it('renders a table of the plan (snapshot)', async () => {
    await expect(renderSummary(report())).toMatchFileSnapshot('__snapshots__/summary-busy.md');
  });

  it("of pr-check says its plan is against an empty registry on purpose, and where the real one is", () => {
    const body = renderSummary(report({ registry: 'withheld', reporter: 'pr-check', plan: { ...busyPlan(), against_empty_registry: true } }));
    expect(body).toContain("this check runs the PR's own code, so it holds no secret and never reads the registry");
    expect(body).toContain('The plan against the registry is in the PR comment');
    expect(body).toContain("Written by `npm run connectors -- pr-check` (the PR's own code, no secret)");
  });

  it('says what was checked by kind, as the CLI does: "1 manifest, 2 catalogues", not "3 files"', () => {
    const validation = { ok: true, checked: 3, checked_files: { manifests: 1, catalogues: 2 }, errors: [], warnings: [] };
    const body = renderSummary(report({ validation }));
    expect(body).toContain('✅ Valid: 1 manifest, 2 catalogues checked, no problems.');
    expect(body).not.toContain('3 files');
  });

  it('counts every kind of change in one table', () => {
    expect(renderSummary(report())).toContain('| Connectors | +1 added, ~1 changed, 1 retired, 1 revived, 7 unchanged |');
  });

  it('over 1 MiB is cut under the limit, between rows, with a note saying so and where the rest is', () => {
    const errors = Array.from({ length: 500 }, (_, i) => ({ ...problem, line: i + 1, message: `${'é'.repeat(1500)} ${i}` }));
    const markdown = renderSummary(report({ validation: { ok: false, checked: 1, errors, warnings: [] } }));
    expect(Buffer.byteLength(markdown)).toBeGreaterThan(SUMMARY_LIMIT_BYTES);
    const fitted = fitSummary(markdown);
    expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(SUMMARY_MAX_BYTES).toBeLessThan(SUMMARY_LIMIT_BYTES);
    expect(fitted).toMatch(/This summary was cut here: GitHub shows at most 1 MiB of a step summary\. Every problem is in the step log/);
    expect(fitted.startsWith(markdown.slice(0, 1000))).toBe(true);
    const lines = fitted.trimEnd().split('\n');
    expect(lines.at(-3)).toMatch(/^\| ❌ error \| .* \|$/);
    expect(fitted).not.toContain('\uFFFD');
  });

  it('counts what the step already wrote, and writes nothing when even the note would not fit', () => {
    const markdown = renderSummary(report());
    expect(fitSummary(markdown, 0)).toBe(markdown);
    const squeezed = fitSummary(markdown, SUMMARY_MAX_BYTES - 600);
    expect(Buffer.byteLength(squeezed)).toBeLessThanOrEqual(600);
    expect(squeezed).toContain('This summary was cut here');
    expect(fitSummary(markdown, SUMMARY_MAX_BYTES)).toBe('');
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
