/**
 * Where a long identifier may wrap: after `_`, `.`, `/` and `:` (scope names such as
 * `write_merchant_managed_fulfillment_orders`, `https://www.googleapis.com/auth/youtube.readonly`,
 * `chat:write`), so a narrow column breaks it between words, never inside one. Components render a
 * <wbr> between the parts (Breakable.astro); the stylesheet's `overflow-wrap` stays the last resort
 * for a part longer than the line.
 */
const AFTER = /(?<=[_./:])(?=[^_./:])/;

/** `read_all_orders` → `['read_', 'all_', 'orders']`; text without separators comes back whole. */
export function breakParts(text: string): string[] {
  return text.split(AFTER);
}
