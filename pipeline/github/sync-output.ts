/**
 * What `npm run connectors -- sync --json` printed, turned into the sync job's summary. Pure.
 */
import type { Problem } from '../validate/types.ts';
import { renderSyncFailure, renderSyncSummary, type SyncOutput } from './render-summary.ts';
import type { CheckReport } from './report.ts';

function isProblem(p: unknown): p is Problem {
  const x = p as Problem;
  return !!x && typeof x.file === 'string' && typeof x.line === 'number' && typeof x.column === 'number' && typeof x.message === 'string';
}

/** Pure: the file's text to the summary's markdown. */
export function summariseSyncOutput(text: string | null, commitSha: string | null): string {
  if (text === null || !text.trim()) return renderSyncFailure('the sync printed no result');
  let value: unknown;
  try {
    // `sync --json` prints one JSON document; skip anything printed before its first line.
    const lines = text.trim().split('\n');
    const start = lines.findIndex((l) => l.startsWith('{'));
    value = JSON.parse(lines.slice(Math.max(0, start)).join('\n'));
  } catch {
    return renderSyncFailure('its output is not the JSON that `sync --json` prints');
  }
  const v = value as Record<string, unknown>;
  if (v && typeof v === 'object' && ('plan' in v || 'providers' in v)) return renderSyncSummary(v as unknown as SyncOutput, commitSha);
  if (v && typeof v === 'object' && Array.isArray(v.errors)) {
    const validation = v as unknown as CheckReport['validation'];
    const problems = { ok: false, checked: Number(validation.checked) || 0, errors: validation.errors, warnings: Array.isArray(validation.warnings) ? validation.warnings : [] };
    return renderSyncFailure(`${v.errors.length} validation error(s) on main`, problems.errors.every(isProblem) ? problems : undefined);
  }
  return renderSyncFailure('its output holds no plan');
}
