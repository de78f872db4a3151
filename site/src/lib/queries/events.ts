/**
 * registry_events rows the site writes itself: key-set outcomes, by key name only. (Approvals are
 * recorded by the registry's approvals module.) This function ONLY inserts into registry_events.
 */
import type { Queryable } from '../ports.ts';

export async function recordKeyEvent(
  db: Queryable,
  event: { slug: string; keyName: string; actor: string; outcome: 'key_set' | 'key_set_failed'; code?: string },
): Promise<void> {
  // details holds the name and, on failure, vault-agent's error code: never the value.
  const details = event.code ? { key: event.keyName, code: event.code } : { key: event.keyName };
  await db.query(
    `INSERT INTO registry_events (provider_slug, kind, actor, details) VALUES ($1, $2, $3, $4::jsonb)`,
    [event.slug, event.outcome, event.actor, JSON.stringify(details)],
  );
}
