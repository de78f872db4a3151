/**
 * The firearm gate's settings and words. A scope with `requires_firearm: true` runs only under a
 * licence an operator granted in the God Config, or an approval of exactly that call, both checked
 * in the registry (licence-gate.ts). Nothing a connector or a client says grants one: there is no
 * checker to plug in, and a licence a client claims in the call's `_meta` is ignored.
 */

/** Where older clients presented a licence in the tools/call `_meta`. Never trusted: licences live in the registry. */
export const LICENCE_META_KEY = 'connector-factory/licence';

export interface LicenceSettings {
  /** Connecting to the registry plus one check, at most; slower means refused. Default 2000 ms. */
  timeoutMs: number;
  /** How long a call waits for the operator's decision with a URL-elicitation client; 0: never wait. Default 2 minutes. */
  waitMs: number;
  /** How often a waiting call looks at the registry. Default 500 ms. */
  pollMs: number;
  /** The God Config site, for approve_url. */
  siteUrl: string;
  /** True when nobody named the site (no siteUrl option, no CONNECTORS_SITE_URL): the running npm start's own URL is used when it announces one. */
  siteUrlIsDefault: boolean;
}

const SETTINGS = {
  timeoutMs: { env: 'CONNECTOR_LICENCE_TIMEOUT_MS', fallback: 2_000, min: 10, max: 60_000 },
  waitMs: { env: 'CONNECTOR_LICENCE_WAIT_MS', fallback: 120_000, min: 0, max: 600_000 },
  pollMs: { env: 'CONNECTOR_LICENCE_POLL_MS', fallback: 500, min: 10, max: 10_000 },
} as const;

/** The settings from the environment; a value that is not a whole number in range is named in `warnings` and the default used. */
export function licenceSettingsFromEnv(env: NodeJS.ProcessEnv, siteUrl: string, siteUrlIsDefault = false): { settings: LicenceSettings; warnings: string[] } {
  const warnings: string[] = [];
  const read = (key: keyof typeof SETTINGS): number => {
    const spec = SETTINGS[key];
    const raw = env[spec.env];
    if (raw === undefined || raw === '') return spec.fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
      warnings.push(`${spec.env}=${JSON.stringify(raw.slice(0, 40))} is not a whole number of milliseconds from ${spec.min} to ${spec.max}; using ${spec.fallback}`);
      return spec.fallback;
    }
    return value;
  };
  return { settings: { timeoutMs: read('timeoutMs'), waitMs: read('waitMs'), pollMs: read('pollMs'), siteUrl, siteUrlIsDefault }, warnings };
}

/** `<site>/licences#request-<id>`: where the operator decides a request. */
export function approveUrl(siteUrl: string, requestId: number): string {
  return `${siteUrl.replace(/\/+$/, '')}/licences#request-${requestId}`;
}

/** "2 minutes", "90 seconds": for messages. */
export function spell(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`;
  if (ms % 1_000 === 0) return `${ms / 1_000} second${ms === 1_000 ? '' : 's'}`;
  return `${ms} ms`;
}
