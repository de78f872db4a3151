/**
 * OAuth connect in the registry: the connector as the Connect and callback routes need it, the
 * latest connect, disconnect and failure events (the card's "connected since, by whom, granted
 * scopes, last refresh failure"), and the events the site writes. Event details hold key names,
 * scope names and error codes: never a token, a code or a secret.
 * recordOAuthEvent ONLY inserts into registry_events; the rest only reads.
 */
import type { Queryable } from '../ports.ts';
import type { Status } from '../list-params.ts';
import { toDate } from './list.ts';

export type OAuthEventKind = 'oauth_connected' | 'oauth_disconnected' | 'oauth_connect_failed' | 'oauth_refresh_failed';
export const OAUTH_EVENT_KINDS: OAuthEventKind[] = ['oauth_connected', 'oauth_disconnected', 'oauth_connect_failed', 'oauth_refresh_failed'];

export interface OAuthConnector {
  provider_slug: string;
  status: Status;
  manifest_digest: string;
  manifest: Record<string, unknown>;
}

export async function getOAuthConnector(db: Queryable, slug: string): Promise<OAuthConnector | null> {
  const { rows } = await db.query<OAuthConnector>(
    `SELECT provider_slug, status, manifest_digest, manifest FROM connector_providers WHERE provider_slug = $1`,
    [slug],
  );
  return rows[0] ?? null;
}

export interface OAuthEvent {
  at: Date;
  actor: string;
  details: Record<string, unknown>;
}

/** The latest event of each OAuth kind for one connector. */
export type OAuthEvents = Partial<Record<OAuthEventKind, OAuthEvent>>;

export async function getOAuthEvents(db: Queryable, slug: string): Promise<OAuthEvents> {
  const { rows } = await db.query<{ kind: OAuthEventKind; at: Date | string; actor: string; details: Record<string, unknown> }>(
    `SELECT DISTINCT ON (kind) kind, at, actor, details FROM registry_events
      WHERE provider_slug = $1 AND kind = ANY($2::text[])
      ORDER BY kind, at DESC, id DESC`,
    [slug, OAUTH_EVENT_KINDS],
  );
  const out: OAuthEvents = {};
  for (const r of rows) out[r.kind] = { at: toDate(r.at)!, actor: r.actor, details: r.details ?? {} };
  return out;
}

export async function recordOAuthEvent(
  db: Queryable,
  event: { slug: string; kind: OAuthEventKind; actor: string; details: Record<string, unknown> },
): Promise<void> {
  await db.query(`INSERT INTO registry_events (provider_slug, kind, actor, details) VALUES ($1, $2, $3, $4::jsonb)`, [
    event.slug,
    event.kind,
    event.actor,
    JSON.stringify(event.details),
  ]);
}
