/**
 * The sticky PR comment: one per PR, written by pr-comment (the default branch's code), found
 * again by its hidden marker and its author, and updated in place.
 * Pure: the same report always renders the same body, cut to fit GitHub's comment limit.
 */
import { COMMENT_MAX_CHARS, fitComment } from './fit.ts';
import { planIsEmpty } from './plan-insights.ts';
import { COMMENT_MARKER, type CheckReport } from './report.ts';
import {
  catalogSection,
  firearmSection,
  footer,
  headline,
  keysSection,
  kpiSection,
  problemsSection,
  providersTable,
  registryNote,
  scopeNote,
  scopesSection,
} from './render-sections.ts';

export { COMMENT_MAX_CHARS };

/** Rows per list in the comment; the job summary holds more. */
const MAX_ROWS = 50;

export function renderComment(report: CheckReport): string {
  const { plan } = report;
  const planParts = !plan
    ? []
    : planIsEmpty(plan)
      ? ['This PR changes nothing in the registry.']
      : [
          ...firearmSection(plan, MAX_ROWS),
          '### Connectors',
          ...providersTable(plan, MAX_ROWS),
          ...scopesSection(plan, MAX_ROWS),
          ...kpiSection(plan, MAX_ROWS),
          ...keysSection(plan, MAX_ROWS),
          ...catalogSection(plan),
        ];
  const body = [
    COMMENT_MARKER,
    '## Connector registry plan',
    headline(report),
    scopeNote(report),
    registryNote(report),
    ...planParts,
    ...problemsSection(report.validation, MAX_ROWS),
    footer(report),
  ].join('\n\n');
  return fitComment(body, report.run?.url ?? null);
}
