-- Up Migration
-- What lets a sync in a git checkout find "nothing to do" without reading any provider row
-- (pipeline/sentinel/baseline.ts): the last sync that left the registry exactly in line with a
-- committed tree writes here HEAD's tree ids of connectors/ and pipeline/catalog/, its
-- validation fingerprint, how many connectors it holds, and the few folders git did not vouch
-- for (uncommitted, untracked or ignored files) with the source sha256 of what was synced from
-- each. A later sync whose checkout has the same tree ids, the same folders git does not vouch
-- for holding the same bytes, nothing uncommitted or untracked under pipeline/catalog/, and the
-- same fingerprint, would plan nothing: it records its no-op sync and stops there.
--
-- Any write to a table the plan reads (by a sync, an approval, psql, anyone) deletes the row, in
-- the writing statement's transaction, so the row never outlives the state it describes; the
-- sync that writes it does so after its own writes, just before it commits.

CREATE TABLE registry_sync_baseline (
  one              boolean PRIMARY KEY DEFAULT true CHECK (one),
  sync_id          bigint NOT NULL,
  connectors_tree  text NOT NULL CHECK (connectors_tree ~ '^([0-9a-f]{40}|[0-9a-f]{64})$'),
  catalog_tree     text NOT NULL CHECK (catalog_tree ~ '^([0-9a-f]{40}|[0-9a-f]{64})$'),
  fingerprint      text NOT NULL,
  connectors       integer NOT NULL CHECK (connectors >= 0),
  -- folder -> source sha256 synced from it (null: not a connector folder, e.g. deleted), for the folders git did not vouch for
  dirty            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(dirty) = 'object'),
  created_at       timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE registry_sync_baseline IS
  'At most one row: the committed trees (and the few folders synced from uncommitted work) the registry was last synced to exactly; deleted by any write to the provider, child and catalogue tables.';

SELECT registry_track_generation('registry_sync_baseline');

CREATE FUNCTION registry_sync_baseline_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM registry_sync_baseline;
  RETURN NULL;
END $$;

DO $$
DECLARE
  source text;
BEGIN
  FOREACH source IN ARRAY ARRAY['connector_providers', 'connector_scopes', 'kpi_mappings', 'connector_secrets',
                                'secret_key_owners', 'firearm_types', 'core_kpis', 'connector_files'] LOOP
    EXECUTE format('CREATE TRIGGER registry_sync_baseline_forget AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
      FOR EACH STATEMENT EXECUTE FUNCTION registry_sync_baseline_forget()', source);
  END LOOP;
END $$;

-- Down Migration
DO $$
DECLARE
  source text;
BEGIN
  FOREACH source IN ARRAY ARRAY['connector_providers', 'connector_scopes', 'kpi_mappings', 'connector_secrets',
                                'secret_key_owners', 'firearm_types', 'core_kpis', 'connector_files'] LOOP
    EXECUTE format('DROP TRIGGER registry_sync_baseline_forget ON %I', source);
  END LOOP;
END $$;
DROP FUNCTION registry_sync_baseline_forget();
DROP TABLE registry_sync_baseline;
