-- Up Migration
-- The registry generation: one number that changes with every committed write to any registry
-- table, whoever writes (the sentinel, the site, the connector runtime, psql). A reader that
-- caches (the site's page cache, site/http/freshness.ts) reads it before reading anything else,
-- and serves a page again only while it is unchanged. The rule lives here, in triggers, so a new
-- writer cannot forget it (DESIGN.md "Registry database").
--
-- How it is bumped, and why this way:
--  - every registry table has a statement-level trigger (INSERT, UPDATE, DELETE, TRUNCATE) that,
--    once per transaction, queues a row in registry_generation_pending;
--  - that row's deferred constraint trigger bumps the counter at commit, in the same transaction
--    as the write, so the new number becomes visible exactly when the write does: a reader never
--    sees the new number with the old rows (which would let it cache a stale page under it);
--  - bumping at commit (not at the first write) holds the counter's row lock only while the
--    transaction commits, so a long sync does not block a firearm call's short transaction.
-- A statement that touched no row may bump it too: a page is rendered again, never served stale.
--
-- A table added by a later migration must call registry_track_generation('its_name'); the test
-- pipeline/registry/test/registry-generation.test.ts fails for any table without the trigger.

CREATE TABLE registry_generation (
  one        boolean PRIMARY KEY DEFAULT true CHECK (one),
  generation bigint NOT NULL CHECK (generation >= 0)
);
INSERT INTO registry_generation (one, generation) VALUES (true, 0);

-- A writing transaction's bump, waiting for its commit (deleted when it fires).
CREATE TABLE registry_generation_pending (
  id bigserial PRIMARY KEY
);

CREATE FUNCTION registry_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE registry_generation SET generation = generation + 1;
  DELETE FROM registry_generation_pending WHERE id = NEW.id;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER registry_generation_bump AFTER INSERT ON registry_generation_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION registry_generation_bump();

-- Queues the transaction's bump once: the flag is transaction-local (rolled back with a
-- savepoint together with the queued row, reset at commit or rollback).
CREATE FUNCTION registry_generation_note_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('registry.generation_queued', true) IS DISTINCT FROM 'yes' THEN
    PERFORM set_config('registry.generation_queued', 'yes', true);
    INSERT INTO registry_generation_pending DEFAULT VALUES;
  END IF;
  RETURN NULL;
END $$;

/* Puts the generation trigger on one table (every registry table must have it). */
CREATE FUNCTION registry_track_generation(target regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format(
    'CREATE TRIGGER registry_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s
       FOR EACH STATEMENT EXECUTE FUNCTION registry_generation_note_write()',
    target);
END $$;

-- Every table the earlier migrations made (connector_providers, connector_scopes, kpi_mappings,
-- connector_secrets, firearm_types, core_kpis, registry_syncs, registry_events,
-- firearm_licences, licence_requests, firearm_uses, and any other), but the migration runner's
-- own table and the generation's.
DO $$
DECLARE t regclass;
BEGIN
  FOR t IN
    SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
       AND c.relname NOT IN ('pgmigrations', 'registry_generation', 'registry_generation_pending')
     ORDER BY c.relname
  LOOP
    PERFORM registry_track_generation(t);
  END LOOP;
END $$;

-- Down Migration
DO $$
DECLARE t regclass;
BEGIN
  FOR t IN
    SELECT tg.tgrelid::regclass FROM pg_trigger tg WHERE tg.tgname = 'registry_generation' AND NOT tg.tgisinternal
  LOOP
    EXECUTE format('DROP TRIGGER registry_generation ON %s', t);
  END LOOP;
END $$;
DROP FUNCTION registry_track_generation(regclass);
DROP FUNCTION registry_generation_note_write();
DROP TABLE registry_generation_pending;
DROP FUNCTION registry_generation_bump();
DROP TABLE registry_generation;
