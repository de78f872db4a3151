/**
 * The connector's keys, loaded once at start through the vault reader (only at the approved
 * digest, see approval-gate.ts), and the redaction that keeps their values, and the common
 * encodings of their values, out of every MCP message and log line the runtime writes.
 */
import { inspect } from 'node:util';
import { DEFAULT_SITE_URL } from '../../vault-agent/reader/errors.ts';
import type { Manifest } from '../schema/manifest.ts';
import { keyEncodings } from './key-encodings.ts';
import { AccessTokenError, type AccessTokenSource } from './oauth-tokens.ts';

export { DEFAULT_SITE_URL };

/** The vault reader's batch call (vault-agent/reader/index.ts `loadSecrets`), as the runtime uses it. */
export type SecretLoader = (
  keys: { key: string; optional?: boolean }[],
  opts: VaultOptions & { setUrl?: string },
) => Promise<{ values: Record<string, string>; missing: string[] }>;

export interface VaultOptions {
  /** Default: VAULT_DIR, else ~/northstar-keys (the reader decides). */
  vaultDir?: string;
  /** An age identity for SOPS-encrypted key files. */
  ageIdentity?: string;
}

const REDACTED = '[redacted]';

/**
 * Key values by name. It never enumerates or serialises its values, so passing it to a logger or
 * JSON.stringify by mistake prints nothing secret.
 */
export class SecretValues {
  readonly #values: Map<string, string>;
  /** Longest first, so a value containing another is redacted whole. */
  #needles: string[];
  /** Declared keys deliberately not loaded (CONNECTOR_DEV=1), and why. */
  readonly #unset: { keys: ReadonlySet<string>; why: string } | undefined;
  /** An oauth connector's access tokens (oauth-tokens.ts, attached by oauth-wiring.ts). */
  #accessTokens: AccessTokenSource | undefined;

  constructor(values: Record<string, string>, unset?: { keys: Iterable<string>; why: string }) {
    this.#values = new Map(Object.entries(values));
    // Each value and its common encodings (key-encodings.ts): base64, hex, URL encoding, ...
    const plain = [...new Set(this.#values.values())].filter((v) => v.length > 0);
    this.#needles = [...new Set(plain.flatMap((v) => [v, ...keyEncodings(v)]))].sort((a, b) => b.length - a.length);
    this.#unset = unset ? { keys: new Set(unset.keys), why: unset.why } : undefined;
  }

  /** The value of a declared key, or undefined when it is optional and not set. */
  get(key: string): string | undefined {
    return this.#values.get(key);
  }

  /** The value of a key the handler cannot work without; throws naming the key (never a value). */
  require(key: string): string {
    const value = this.#values.get(key);
    if (value !== undefined) return value;
    if (this.#unset?.keys.has(key)) throw new Error(`key ${key} is not set: ${this.#unset.why}`);
    throw new Error(`key ${key} is not loaded: declare it in manifest.yaml under secrets`);
  }

  /**
   * For an oauth connector: a current access token, refreshed when due, one refresh at a time.
   * Throws AccessTokenError (its `code` becomes the tool error's code; the message names the
   * connector's page: not connected, reconnect needed, refresh failed). Never logs the token.
   */
  async accessToken(): Promise<string> {
    if (!this.#accessTokens) {
      throw new AccessTokenError('oauth_not_connected', 'this connector has no access tokens: its manifest has no oauth block, or it runs without vault keys (CONNECTOR_DEV=1)');
    }
    const got = await this.#accessTokens.get();
    if (!got.ok) throw new AccessTokenError(got.code, got.message);
    return got.token;
  }

  /** Forgets the cached access token (the provider answered 401): the next accessToken() refreshes. */
  invalidateAccessToken(): void {
    this.#accessTokens?.invalidate();
  }

  attachAccessTokens(source: AccessTokenSource): void {
    this.#accessTokens = source;
  }

  /** Adds a value received later (an access token, a rotated refresh token) to what is redacted. */
  addRedaction(value: string): void {
    if (value.length === 0 || this.#needles.includes(value)) return;
    this.#needles = [...new Set([...this.#needles, value, ...keyEncodings(value)])].sort((a, b) => b.length - a.length);
  }

  /** The text with every key value, and every common encoding of one, replaced by [redacted]. */
  redact(text: string): string {
    let out = text;
    for (const needle of this.#needles) out = out.split(needle).join(REDACTED);
    return out;
  }

  /** A JSON-like value with every string (keys included) redacted. */
  redactDeep<T>(value: T): T {
    if (this.#needles.length === 0) return value;
    return this.#walk(value) as T;
  }

  #walk(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((v) => this.#walk(v));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.redact(k), this.#walk(v)]));
    }
    return value;
  }

  toJSON(): string {
    return '[secrets]';
  }

  [inspect.custom](): string {
    return `SecretValues(${[...this.#values.keys()].join(', ')})`;
  }
}

export type LoadKeysResult =
  | { ok: true; secrets: SecretValues }
  | { ok: false; code: 'keys_missing' | 'vault_unreadable'; message: string };

/** Loads every key the manifest declares; a required key that is not set fails the start. */
export async function loadManifestKeys(
  manifest: Manifest,
  load: SecretLoader,
  vault: VaultOptions,
  siteUrl: string,
): Promise<LoadKeysResult> {
  if (manifest.secrets.length === 0) return { ok: true, secrets: new SecretValues({}) };
  const page = `${siteUrl.replace(/\/+$/, '')}/connectors/${manifest.provider_slug}`;
  const where = vault.vaultDir ?? process.env.VAULT_DIR ?? '~/northstar-keys';

  let loaded: Awaited<ReturnType<SecretLoader>>;
  try {
    loaded = await load(
      manifest.secrets.map((s) => ({ key: s.key, optional: s.optional })),
      // The reader's own messages then point at this connector's page too.
      { ...vault, setUrl: page },
    );
  } catch (err) {
    // The reader's messages name keys and paths, never values (its contract).
    return {
      ok: false,
      code: 'vault_unreadable',
      message: `${manifest.provider_slug}: could not read its keys from the vault at ${where}: ${(err as Error).message}`,
    };
  }

  const required = new Set(manifest.secrets.filter((s) => !s.optional).map((s) => s.key));
  const missing = manifest.secrets.filter((s) => required.has(s.key) && loaded.missing.includes(s.key));
  if (missing.length > 0) {
    const names = missing.map((s) => `${s.key} (${s.label})`).join(', ');
    const noun = missing.length === 1 ? 'key is' : 'keys are';
    return {
      ok: false,
      code: 'keys_missing',
      message:
        `${manifest.provider_slug} cannot start: the ${noun} not set in the vault at ${where}: ${names}.\n` +
        `Set ${missing.length === 1 ? 'it' : 'them'} on ${page} (Authentication card, Set key), then start the connector again.`,
    };
  }
  return { ok: true, secrets: new SecretValues(loaded.values) };
}

/**
 * No key at all, for CONNECTOR_DEV=1: a handler asking for a declared key gets "key ... is not
 * set", as when it is missing from the vault. `page`: the connector's page on the site.
 */
export function keylessSecrets(manifest: Manifest, page: string): SecretValues {
  return new SecretValues({}, {
    keys: manifest.secrets.map((s) => s.key),
    why: `CONNECTOR_DEV=1 serves ${manifest.provider_slug} without vault keys. To use its keys, approve it on ${page} and start it without CONNECTOR_DEV.`,
  });
}
