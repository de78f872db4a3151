/**
 * Licences in plain words, and text an agent wrote shown as data. Pure: the confirmation step,
 * the /licences page and the connector page all say the same thing the same way.
 */

/** The durations the Grant forms offer (DESIGN.md: 15 minutes, 1 hour, 8 hours, 1 day, 7 days). */
export const DURATION_PRESETS: readonly { minutes: number; label: string }[] = [
  { minutes: 15, label: '15 minutes' },
  { minutes: 60, label: '1 hour' },
  { minutes: 480, label: '8 hours' },
  { minutes: 1440, label: '1 day' },
  { minutes: 10_080, label: '7 days' },
];

/** How long an approved request may wait for its one call (pipeline/registry/licences.ts ONE_SHOT_MINUTES). */
export const ONE_SHOT_MINUTES = 15;

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** `90` → "1 hour 30 minutes", `1440` → "1 day", `10080` → "7 days". */
export function durationWords(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [days && plural(days, 'day'), hours && plural(hours, 'hour'), mins && plural(mins, 'minute')].filter(Boolean);
  return parts.length ? parts.join(' ') : '0 minutes';
}

/** `in 55 min`, `in 3 h`, `in 2 days`, or `now` for a time not in the future. */
export function formatIn(value: Date | string, now = Date.now()): string {
  const d = value instanceof Date ? value : new Date(value);
  const seconds = Math.round((d.getTime() - now) / 1000);
  if (seconds <= 0) return 'now';
  if (seconds < 90) return `in ${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `in ${hours} h`;
  return `in ${Math.round(hours / 24)} days`;
}

/** "at most 3 calls" / "any number of calls". */
export function usesWords(maxUses: number | null): string {
  return maxUses == null ? 'any number of calls' : `at most ${plural(maxUses, 'call')}`;
}

/** "scope delete_items only" / "every CODE_DELETE scope of this connector". */
export function scopeWords(scope: string | null, firearmType: string): string {
  return scope ? `scope ${scope} only` : `every ${firearmType} scope of this connector`;
}

/**
 * Characters that change how text reads without showing themselves (C0/C1 controls, bidi
 * overrides and isolates, zero-width characters, the BOM): an argument `"itm_1\u202E..."` must
 * not display reversed to the operator deciding on it. Shown as `\u{202e}` instead.
 */
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** Text from an agent or an MCP client, with every invisible or direction-changing character spelled out. */
export function visibleText(text: string): string {
  return text.replace(HIDDEN, (c) => `\\u{${c.codePointAt(0)!.toString(16).padStart(4, '0')}}`);
}

export interface ArgumentsText {
  /** What is shown at once: the start of the pretty JSON. */
  preview: string;
  /** The whole pretty JSON (equal to preview when short). */
  full: string;
  truncated: boolean;
}

/** Shown at once; the rest behind "show all". */
export const ARGUMENTS_PREVIEW_CHARS = 1200;

/** A call's arguments as indented JSON, invisible characters spelled out, with a bounded preview. */
export function argumentsText(args: unknown, previewChars = ARGUMENTS_PREVIEW_CHARS): ArgumentsText {
  let json: string;
  try {
    json = JSON.stringify(args ?? {}, null, 2) ?? 'null';
  } catch {
    json = '(the arguments could not be shown)';
  }
  const full = visibleText(json);
  if (full.length <= previewChars) return { preview: full, full, truncated: false };
  return { preview: `${full.slice(0, previewChars)}\n…`, full, truncated: true };
}

/** `Claude Desktop 1.2.3`, or `an unnamed MCP client`. */
export function clientWords(name: string | null, version: string | null): string {
  if (!name) return 'an unnamed MCP client';
  return visibleText(version ? `${name} ${version}` : name);
}
