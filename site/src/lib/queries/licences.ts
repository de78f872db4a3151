/**
 * What the licence pages need to know about connectors and firearm types (names, status, the
 * firearm scopes of a type), to say in plain words what a licence allows. Reads only; the licence
 * tables themselves are read and written through the LicencesPort (pipeline/registry/licences.ts).
 */
import type { Queryable } from '../ports.ts';

export interface FirearmScope {
  name: string;
  description: string;
  firearm_type: string;
  firearm_label: string | null;
}

export interface LicenceTarget {
  provider_slug: string;
  display_name: string;
  status: 'draft' | 'approved' | 'changed' | 'retired';
  /** Every firearm scope of the connector, in manifest order. */
  firearm_scopes: FirearmScope[];
}

/** A connector with its firearm scopes, or null when it is not in the registry. */
export async function getLicenceTarget(db: Queryable, slug: string): Promise<LicenceTarget | null> {
  const { rows } = await db.query<LicenceTarget>(
    `SELECT p.provider_slug, p.display_name, p.status,
       (SELECT coalesce(json_agg(json_build_object('name', s.name, 'description', s.description,
                 'firearm_type', s.firearm_type, 'firearm_label', f.label) ORDER BY s.position, s.name), '[]'::json)
          FROM connector_scopes s LEFT JOIN firearm_types f ON f.id = s.firearm_type
         WHERE s.provider_slug = p.provider_slug AND s.requires_firearm) AS firearm_scopes
     FROM connector_providers p WHERE p.provider_slug = $1`,
    [slug],
  );
  return rows[0] ?? null;
}

export interface Names {
  /** provider_slug → display name and status */
  connectors: Map<string, { name: string; status: LicenceTarget['status'] }>;
  /** firearm type id → label */
  firearms: Map<string, string>;
}

/** Display names of the connectors and labels of the firearm types a list mentions. */
export async function namesFor(db: Queryable, slugs: string[], types: string[]): Promise<Names> {
  if (slugs.length === 0 && types.length === 0) return { connectors: new Map(), firearms: new Map() };
  const { rows } = await db.query<{ kind: 'c' | 'f'; id: string; name: string; status: LicenceTarget['status'] | null }>(
    `SELECT 'c' AS kind, provider_slug AS id, display_name AS name, status FROM connector_providers WHERE provider_slug = ANY($1::text[])
     UNION ALL
     SELECT 'f', id, label, NULL FROM firearm_types WHERE id = ANY($2::text[])`,
    [[...new Set(slugs)], [...new Set(types)]],
  );
  const names: Names = { connectors: new Map(), firearms: new Map() };
  for (const r of rows) {
    if (r.kind === 'c') names.connectors.set(r.id, { name: r.name, status: r.status ?? 'draft' });
    else names.firearms.set(r.id, r.name);
  }
  return names;
}
