-- Up Migration
-- A key name belongs to one connector, for good. A key name is a file in the vault
-- (PROVIDER_X_API_KEY.txt), so two connectors declaring one name would read and overwrite each
-- other's key: a slug `dummy_service_api` fits the prefix of PROVIDER_DUMMY_SERVICE_API_KEY too.
--
-- secret_key_owners remembers which connector first declared each name, and keeps it when that
-- connector removes the key from its manifest or is retired (its tombstone keeps its rows): the
-- vault may still hold the value an operator set for that connector, so handing the name to
-- another connector later would hand it that value. There is no release: a connector that wants
-- a key names it differently (the field part after PROVIDER_<SLUG>_ is free).
--
-- The rule is enforced here, by triggers, for every writer; the sentinel's plan checks the same
-- owners first so a sync refuses with a message naming both connectors before writing anything
-- (pipeline/sentinel/key-owners.ts).

CREATE TABLE secret_key_owners (
  key_name      text PRIMARY KEY CHECK (key_name ~ '^[A-Z][A-Z0-9_]{0,127}$'),
  provider_slug text NOT NULL REFERENCES connector_providers (provider_slug) ON DELETE CASCADE,
  claimed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX secret_key_owners_provider_idx ON secret_key_owners (provider_slug);

-- A registry that already holds one name under two connectors (declared before this rule): the
-- connector that declared it first owns it. The later one's row stays, so nothing disappears
-- from under the operator, but the site refuses to set a key declared by more than one connector
-- and the next sync that touches the later connector refuses until its manifest renames the key.
INSERT INTO secret_key_owners (key_name, provider_slug, claimed_at)
SELECT DISTINCT ON (key_name) key_name, provider_slug, created_at
  FROM connector_secrets
 ORDER BY key_name, created_at, provider_slug;

-- Claims the names of rows just written (set-based: one statement per sync, whatever the number of
-- rows) and refuses a name another connector owns.
CREATE FUNCTION secret_key_owners_claim() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  clash record;
BEGIN
  INSERT INTO secret_key_owners (key_name, provider_slug)
  SELECT DISTINCT ON (key_name) key_name, provider_slug FROM written ORDER BY key_name, provider_slug
  ON CONFLICT (key_name) DO NOTHING;
  SELECT w.key_name, w.provider_slug, o.provider_slug AS owner INTO clash
    FROM written w JOIN secret_key_owners o USING (key_name)
   WHERE o.provider_slug <> w.provider_slug
   ORDER BY w.key_name, w.provider_slug
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'the key name % belongs to connector %, so connector % cannot declare it', clash.key_name, clash.owner, clash.provider_slug
      USING ERRCODE = 'unique_violation',
            HINT = 'A key name belongs to the connector that first declared it, even after it removed the key or was retired. Give the key another name.';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER secret_key_owners_claim_insert AFTER INSERT ON connector_secrets
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION secret_key_owners_claim();
CREATE TRIGGER secret_key_owners_claim_update AFTER UPDATE ON connector_secrets
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION secret_key_owners_claim();

-- The registry generation's triggers (migration 1770163200000) cover every table when that
-- migration runs after this one; on a registry where it already ran, track this table here.
DO $$
BEGIN
  IF to_regproc('registry_track_generation') IS NOT NULL THEN
    PERFORM registry_track_generation('secret_key_owners');
  END IF;
END $$;

-- Down Migration
DROP TRIGGER secret_key_owners_claim_update ON connector_secrets;
DROP TRIGGER secret_key_owners_claim_insert ON connector_secrets;
DROP FUNCTION secret_key_owners_claim();
DROP TABLE secret_key_owners;
