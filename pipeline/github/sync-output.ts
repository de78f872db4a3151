/**
 * What `npm run connectors -- sync --json` printed, turned into the sync job's summary. Pure.
 */
import { renderSyncFailure, renderSyncSummary, type SyncOutput } from './render-summary.ts';

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
    return renderSyncFailure(`${v.errors.length} validation error(s); nothing was written, see the annotations`);
  }
  return renderSyncFailure('its output holds no plan');
}
