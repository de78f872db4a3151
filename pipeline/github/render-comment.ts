/**
 * The sticky PR comment: one per PR, found again by its hidden marker and updated in place.
 * Pure: the same report always renders the same body.
 */
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

/** GitHub refuses comment bodies over 65,536 characters. */
export const COMMENT_MAX_CHARS = 65_000;
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
    footer(report, 'Updated by `npm run connectors -- pr-check`'),
  ].join('\n\n');
  return fitComment(body);
}

/** Cuts an oversized body at a line boundary and says where the rest is. */
export function fitComment(body: string): string {
  if (body.length <= COMMENT_MAX_CHARS) return `${body}\n`;
  const note = '\n\n_The plan is too long for a comment; the job summary of this run has all of it._\n';
  const cut = body.lastIndexOf('\n', COMMENT_MAX_CHARS - note.length);
  return body.slice(0, cut) + note;
}
