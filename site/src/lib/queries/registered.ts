/** Which of these slugs the registry holds (any status): the pipeline banner links only to pages that exist. */
import type { Queryable } from '../ports.ts';

export async function registeredSlugs(db: Queryable, slugs: readonly string[]): Promise<Set<string>> {
  if (slugs.length === 0) return new Set();
  const { rows } = await db.query<{ provider_slug: string }>(
    'SELECT provider_slug FROM connector_providers WHERE provider_slug = ANY($1::text[])',
    [[...slugs]],
  );
  return new Set(rows.map((r) => r.provider_slug));
}
