/** Display helpers shared by the pages. Pure. */

/** `2025-11-26 10:07 UTC`: unambiguous for an operator comparing with logs. */
export function formatTime(value: Date | string | null | undefined): string {
  if (!value) return 'never';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return 'unknown';
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `3 min ago`, relative to `now`. */
export function formatAgo(value: Date | string | null | undefined, now = Date.now()): string {
  if (!value) return 'never';
  const d = value instanceof Date ? value : new Date(value);
  const seconds = Math.round((now - d.getTime()) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function isoTime(value: Date | string | null | undefined): string | undefined {
  if (!value) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export const AUTH_MODE_LABELS: Record<string, string> = {
  oauth: 'OAuth',
  byok: 'Own key (BYOK)',
  oauth_and_byok: 'OAuth + own key',
  none: 'No auth',
};

export const STATUS_LABELS: Record<string, string> = {
  draft: 'Draft',
  approved: 'Approved',
  changed: 'Changed',
  retired: 'Retired',
};
