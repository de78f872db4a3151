-- Up Migration
-- The site's list page at 100,000 connectors without its page cache: each query of a list page
-- reads about a page of index entries, not the registry (site/src/lib/queries/list.ts; the README
-- has the EXPLAIN ANALYZE of each).
--
--  - connector_list: the list's read model, one narrow row per connector (about 150 bytes, against
--    a provider row's manifest and digests), holding what the list sorts, filters and counts on:
--    a natural sort key, the search text, and the scope and key counts that would otherwise take a
--    join over a million child rows. Triggers on connector_providers, connector_scopes and
--    connector_secrets keep it, whoever writes (sentinel, site, psql): each writing statement
--    queues the connectors it touched, and at commit their rows are computed again from those
--    tables, in one statement (a cold sync writes each row once, not once per table it fills).
--  - connector_list_counts: connectors per (status, auth mode, has a firearm scope, has a required
--    key), so the counts per status under any of those filters read at most 64 rows. Kept by
--    triggers on connector_list, folded in at commit too.
--  - Both at commit, after the registry generation's bump (migration 1770163200000, same pattern
--    and reasons): a long sync holds no lock an approval would wait for, the change becomes
--    visible exactly with the write, and every committing writer takes the generation row before
--    these, so two of them never deadlock here.
--  - pg_trgm: a contains-search ("ads 58" finds "Acme Ads 5824") through a trigram index, on
--    PostgreSQL (a trusted extension: the database's owner may create it) and on PGlite (which
--    loads it from @electric-sql/pglite/contrib/pg_trgm: pipeline/registry/pglite-extensions.ts).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

/*
 * The natural order of a name: lower case, and each run of digits led by its length (two digits,
 * leading zeros dropped), so "Acme Ads 64" (acme ads 0264) sorts before "Acme Ads 5824"
 * (acme ads 045824). Compared byte-wise (COLLATE "C" on the column), so PostgreSQL and PGlite,
 * which has no ICU collations, order alike. A name has at most 80 characters, so a run's length
 * fits two digits.
 */
CREATE FUNCTION registry_natural_sort_key(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN coalesce((
  SELECT string_agg(CASE WHEN m[1] IS NULL THEN m[2] ELSE lpad(length(ltrim(m[1], '0'))::text, 2, '0') || ltrim(m[1], '0') END, '' ORDER BY n)
    FROM regexp_matches(lower(name), '([0-9]+)|([^0-9]+)', 'g') WITH ORDINALITY AS r(m, n)), '');

CREATE TABLE connector_list (
  -- No foreign key: the rows are written at commit, all at once, from connector_providers itself
  -- (a foreign key would check each row again, a second or more at 100,000).
  provider_slug  text PRIMARY KEY,
  display_name   text NOT NULL,
  status         text NOT NULL,
  auth_mode      text NOT NULL,
  updated_at     timestamptz NOT NULL,
  scopes         integer NOT NULL CHECK (scopes >= 0),
  firearm_scopes integer NOT NULL CHECK (firearm_scopes >= 0),
  keys_declared  integer NOT NULL CHECK (keys_declared >= 0),
  -- Keys that are not optional: "keys missing" is a connector with one of these not in the vault.
  keys_required  integer NOT NULL CHECK (keys_required >= 0),
  sort_key       text COLLATE "C" NOT NULL GENERATED ALWAYS AS (registry_natural_sort_key(display_name)) STORED,
  -- What the search box matches: the name (case-insensitively) and the slug. The newline keeps a
  -- search from matching across the two (list-params.ts drops control characters from a search).
  search_text    text NOT NULL GENERATED ALWAYS AS (lower(display_name) || E'\n' || provider_slug) STORED
);

-- One index per order (?sort=name|status|auth|updated, either direction), each also serving the
-- filter its first column names (status, auth mode) in name order. Each carries the columns the
-- other filters test, so a page of any filters in any order is read from one index alone
-- (index-only: OFFSET skips index entries, counted from whichever end of the order is nearer).
CREATE INDEX connector_list_name_idx ON connector_list (sort_key, provider_slug)
  INCLUDE (status, auth_mode, firearm_scopes, keys_required);
CREATE INDEX connector_list_status_idx ON connector_list (status, sort_key, provider_slug)
  INCLUDE (auth_mode, firearm_scopes, keys_required);
CREATE INDEX connector_list_auth_idx ON connector_list (auth_mode, sort_key, provider_slug)
  INCLUDE (status, firearm_scopes, keys_required);
CREATE INDEX connector_list_updated_idx ON connector_list (updated_at, provider_slug)
  INCLUDE (status, auth_mode, firearm_scopes, keys_required);
-- Search: LIKE '%...%' through trigrams; a page of matches costs the matches, not the registry.
CREATE INDEX connector_list_search_idx ON connector_list USING gin (search_text gin_trgm_ops);

/* A connector's list row as its tables say now; the connectors `slugs` names that still exist. */
CREATE FUNCTION connector_list_rows(slugs text[])
RETURNS TABLE (provider_slug text, display_name text, status text, auth_mode text, updated_at timestamptz,
               scopes integer, firearm_scopes integer, keys_declared integer, keys_required integer)
LANGUAGE sql STABLE AS $$
  SELECT p.provider_slug, p.display_name, p.status, p.auth_mode, p.updated_at,
         coalesce(s.scopes, 0)::int, coalesce(s.firearm_scopes, 0)::int, coalesce(k.keys_declared, 0)::int, coalesce(k.keys_required, 0)::int
    FROM connector_providers p
    LEFT JOIN (SELECT x.provider_slug, count(*) AS scopes, count(*) FILTER (WHERE x.requires_firearm) AS firearm_scopes
                 FROM connector_scopes x WHERE x.provider_slug = ANY (slugs) GROUP BY x.provider_slug) s USING (provider_slug)
    LEFT JOIN (SELECT x.provider_slug, count(*) AS keys_declared, count(*) FILTER (WHERE NOT x.optional) AS keys_required
                 FROM connector_secrets x WHERE x.provider_slug = ANY (slugs) GROUP BY x.provider_slug) k USING (provider_slug)
   WHERE p.provider_slug = ANY (slugs)
$$;

INSERT INTO connector_list (provider_slug, display_name, status, auth_mode, updated_at, scopes, firearm_scopes, keys_declared, keys_required)
SELECT * FROM connector_list_rows(ARRAY(SELECT provider_slug FROM connector_providers));

CREATE TABLE connector_list_counts (
  status            text NOT NULL,
  auth_mode         text NOT NULL,
  has_firearm       boolean NOT NULL,
  has_required_keys boolean NOT NULL,
  connectors        bigint NOT NULL CHECK (connectors >= 0),
  PRIMARY KEY (status, auth_mode, has_firearm, has_required_keys)
);
INSERT INTO connector_list_counts (status, auth_mode, has_firearm, has_required_keys, connectors)
SELECT status, auth_mode, firearm_scopes > 0, keys_required > 0, count(*) FROM connector_list GROUP BY 1, 2, 3, 4;

-- A writing transaction's work for its commit, one row per writing statement (deleted when done):
-- the connectors whose list rows to compute again, or a change of the counts.
CREATE TABLE connector_list_pending (
  id                bigserial PRIMARY KEY,
  slugs             text[],
  status            text,
  auth_mode         text,
  has_firearm       boolean,
  has_required_keys boolean,
  delta             bigint,
  CHECK ((slugs IS NULL) = (delta IS NOT NULL))
);

-- One row per writing transaction (deleted at its commit): its deferred trigger does the pending
-- work once, however many statements queued some (a transaction of 180,000 single-row INSERTs
-- must not run 180,000 commit triggers).
CREATE TABLE connector_list_commit (
  id bigserial PRIMARY KEY
);

-- The generation's queueing as a function, so a trigger can make sure its transaction's bump is
-- queued before what it defers itself (the rule of 1770163200000 is unchanged).
CREATE FUNCTION registry_generation_queue() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('registry.generation_queued', true) IS DISTINCT FROM 'yes' THEN
    PERFORM set_config('registry.generation_queued', 'yes', true);
    INSERT INTO registry_generation_pending DEFAULT VALUES;
  END IF;
END $$;
CREATE OR REPLACE FUNCTION registry_generation_note_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM registry_generation_queue();
  RETURN NULL;
END $$;

/* The transaction's commit work, queued once (the flag is transaction-local, like the generation's). */
CREATE FUNCTION connector_list_queue_commit() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- The generation's bump first, so at commit it runs (and takes the generation row) before this.
  PERFORM registry_generation_queue();
  IF current_setting('registry.list_queued', true) IS DISTINCT FROM 'yes' THEN
    PERFORM set_config('registry.list_queued', 'yes', true);
    INSERT INTO connector_list_commit DEFAULT VALUES;
  END IF;
END $$;

/*
 * Queues the connectors a statement touched, in a way that changes what the list shows: a new or
 * deleted child row, a provider's listed column, a scope's firearm or a key's optional flag. (The
 * sync's source-hash bookkeeping and a description edit queue nothing.) A trigger function may
 * read only the transition tables its trigger declares, and plpgsql plans a statement when it
 * first runs it, so each event has its own branch and its own trigger.
 */
CREATE FUNCTION connector_list_touched() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  touched text[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    touched := ARRAY(SELECT provider_slug FROM connector_list);
  ELSIF TG_OP = 'INSERT' THEN
    touched := ARRAY(SELECT DISTINCT provider_slug FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    touched := ARRAY(SELECT DISTINCT provider_slug FROM old_rows);
  ELSIF TG_TABLE_NAME = 'connector_providers' THEN
    touched := ARRAY(SELECT provider_slug FROM (
                 SELECT provider_slug, display_name, status, auth_mode, updated_at FROM new_rows
                 EXCEPT SELECT provider_slug, display_name, status, auth_mode, updated_at FROM old_rows) c);
  ELSIF TG_TABLE_NAME = 'connector_scopes' THEN
    touched := ARRAY(SELECT DISTINCT provider_slug FROM (
                 (SELECT provider_slug, name, requires_firearm FROM new_rows EXCEPT SELECT provider_slug, name, requires_firearm FROM old_rows)
                 UNION ALL
                 (SELECT provider_slug, name, requires_firearm FROM old_rows EXCEPT SELECT provider_slug, name, requires_firearm FROM new_rows)) c);
  ELSE
    touched := ARRAY(SELECT DISTINCT provider_slug FROM (
                 (SELECT provider_slug, key_name, optional FROM new_rows EXCEPT SELECT provider_slug, key_name, optional FROM old_rows)
                 UNION ALL
                 (SELECT provider_slug, key_name, optional FROM old_rows EXCEPT SELECT provider_slug, key_name, optional FROM new_rows)) c);
  END IF;
  IF cardinality(touched) > 0 THEN
    PERFORM connector_list_queue_commit();
    INSERT INTO connector_list_pending (slugs) VALUES (touched);
  END IF;
  RETURN NULL;
END $$;

-- The same four statement triggers on each table the list model is computed from.
DO $$
DECLARE
  source text;
BEGIN
  FOREACH source IN ARRAY ARRAY['connector_providers', 'connector_scopes', 'connector_secrets'] LOOP
    EXECUTE format('CREATE TRIGGER connector_list_insert AFTER INSERT ON %I
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION connector_list_touched()', source);
    EXECUTE format('CREATE TRIGGER connector_list_update AFTER UPDATE ON %I
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION connector_list_touched()', source);
    EXECUTE format('CREATE TRIGGER connector_list_delete AFTER DELETE ON %I
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION connector_list_touched()', source);
    EXECUTE format('CREATE TRIGGER connector_list_truncate AFTER TRUNCATE ON %I
      FOR EACH STATEMENT EXECUTE FUNCTION connector_list_touched()', source);
  END LOOP;
END $$;

/*
 * connector_list → the counts' changes, netted per group (a status change is -1 in one group and
 * +1 in another; an update that moves no connector to another group queues nothing).
 */
CREATE FUNCTION connector_list_note_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM connector_list_counts;
    DELETE FROM connector_list_pending WHERE delta IS NOT NULL;
    RETURN NULL;
  END IF;
  PERFORM connector_list_queue_commit();
  IF TG_OP = 'INSERT' THEN
    INSERT INTO connector_list_pending (status, auth_mode, has_firearm, has_required_keys, delta)
    SELECT status, auth_mode, firearm_scopes > 0, keys_required > 0, count(*) FROM new_rows GROUP BY 1, 2, 3, 4;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO connector_list_pending (status, auth_mode, has_firearm, has_required_keys, delta)
    SELECT status, auth_mode, firearm_scopes > 0, keys_required > 0, -count(*) FROM old_rows GROUP BY 1, 2, 3, 4;
  ELSE
    INSERT INTO connector_list_pending (status, auth_mode, has_firearm, has_required_keys, delta)
    SELECT status, auth_mode, firearm_scopes > 0, keys_required > 0, sum(one)
      FROM (SELECT status, auth_mode, firearm_scopes, keys_required, 1 AS one FROM new_rows
            UNION ALL
            SELECT status, auth_mode, firearm_scopes, keys_required, -1 FROM old_rows) c
     GROUP BY 1, 2, 3, 4
    HAVING sum(one) <> 0;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER connector_list_counts_insert AFTER INSERT ON connector_list
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION connector_list_note_counts();
CREATE TRIGGER connector_list_counts_update AFTER UPDATE ON connector_list
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION connector_list_note_counts();
CREATE TRIGGER connector_list_counts_delete AFTER DELETE ON connector_list
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION connector_list_note_counts();
CREATE TRIGGER connector_list_counts_truncate AFTER TRUNCATE ON connector_list
  FOR EACH STATEMENT EXECUTE FUNCTION connector_list_note_counts();

/*
 * At commit, once: all of the transaction's pending work. The touched connectors' rows first: gone with their provider, or
 * computed again and written where they differ, planned for the number of connectors at hand (EXECUTE: a cold sync's 100,000
 * want hash joins, an approval's one wants the primary keys). Writing them queues count changes,
 * whose own trigger then folds them into the counts: an UPDATE, then an INSERT of groups that had
 * no row (an upsert would check the bare delta, negative for a group that lost connectors,
 * against the CHECK).
 */
CREATE FUNCTION connector_list_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  touched text[];
BEGIN
  DELETE FROM connector_list_commit WHERE id = NEW.id;
  -- Done for what was queued so far: a write after SET CONSTRAINTS ... IMMEDIATE queues anew.
  PERFORM set_config('registry.list_queued', '', true);
  WITH done AS (DELETE FROM connector_list_pending WHERE slugs IS NOT NULL RETURNING slugs)
  SELECT array_agg(DISTINCT s) INTO touched FROM done, unnest(done.slugs) AS s;
  IF touched IS NOT NULL THEN
    EXECUTE $sql$
      DELETE FROM connector_list l
       WHERE l.provider_slug = ANY ($1) AND NOT EXISTS (SELECT FROM connector_providers p WHERE p.provider_slug = l.provider_slug)
    $sql$ USING touched;
    EXECUTE $sql$
      INSERT INTO connector_list AS l (provider_slug, display_name, status, auth_mode, updated_at, scopes, firearm_scopes, keys_declared, keys_required)
      SELECT * FROM connector_list_rows($1)
      ON CONFLICT (provider_slug) DO UPDATE SET
        display_name = EXCLUDED.display_name, status = EXCLUDED.status, auth_mode = EXCLUDED.auth_mode,
        updated_at = EXCLUDED.updated_at, scopes = EXCLUDED.scopes, firearm_scopes = EXCLUDED.firearm_scopes,
        keys_declared = EXCLUDED.keys_declared, keys_required = EXCLUDED.keys_required
      WHERE (l.display_name, l.status, l.auth_mode, l.updated_at, l.scopes, l.firearm_scopes, l.keys_declared, l.keys_required)
            IS DISTINCT FROM (EXCLUDED.display_name, EXCLUDED.status, EXCLUDED.auth_mode, EXCLUDED.updated_at,
                              EXCLUDED.scopes, EXCLUDED.firearm_scopes, EXCLUDED.keys_declared, EXCLUDED.keys_required)
    $sql$ USING touched;
  END IF;
  WITH done AS (DELETE FROM connector_list_pending WHERE delta IS NOT NULL
                RETURNING status, auth_mode, has_firearm, has_required_keys, delta),
       d AS (SELECT status, auth_mode, has_firearm, has_required_keys, sum(delta) AS delta FROM done
              GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0),
       updated AS (UPDATE connector_list_counts c SET connectors = c.connectors + d.delta FROM d
                    WHERE (c.status, c.auth_mode, c.has_firearm, c.has_required_keys) = (d.status, d.auth_mode, d.has_firearm, d.has_required_keys)
                   RETURNING c.status, c.auth_mode, c.has_firearm, c.has_required_keys)
  INSERT INTO connector_list_counts (status, auth_mode, has_firearm, has_required_keys, connectors)
  SELECT d.status, d.auth_mode, d.has_firearm, d.has_required_keys, d.delta FROM d
   WHERE NOT EXISTS (SELECT 1 FROM updated u
                      WHERE (u.status, u.auth_mode, u.has_firearm, u.has_required_keys) = (d.status, d.auth_mode, d.has_firearm, d.has_required_keys));
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER connector_list_commit AFTER INSERT ON connector_list_commit
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION connector_list_commit();

-- "Last synced" on every page: the newest successful sync, one index entry instead of the history.
CREATE INDEX registry_syncs_finished_ok_idx ON registry_syncs (finished_at) WHERE outcome <> 'failed';
-- "Keys missing": the keys vault-agent holds, found by name (a few) instead of every declared key.
CREATE INDEX connector_secrets_key_name_idx ON connector_secrets (key_name);

SELECT registry_track_generation('connector_list');
SELECT registry_track_generation('connector_list_counts');
SELECT registry_track_generation('connector_list_pending');
SELECT registry_track_generation('connector_list_commit');

ANALYZE connector_list;

-- Down Migration
DROP INDEX connector_secrets_key_name_idx;
DROP INDEX registry_syncs_finished_ok_idx;
DROP TRIGGER connector_list_truncate ON connector_secrets;
DROP TRIGGER connector_list_delete ON connector_secrets;
DROP TRIGGER connector_list_update ON connector_secrets;
DROP TRIGGER connector_list_insert ON connector_secrets;
DROP TRIGGER connector_list_truncate ON connector_scopes;
DROP TRIGGER connector_list_delete ON connector_scopes;
DROP TRIGGER connector_list_update ON connector_scopes;
DROP TRIGGER connector_list_insert ON connector_scopes;
DROP TRIGGER connector_list_truncate ON connector_providers;
DROP TRIGGER connector_list_delete ON connector_providers;
DROP TRIGGER connector_list_update ON connector_providers;
DROP TRIGGER connector_list_insert ON connector_providers;
DROP TABLE connector_list_commit;
DROP TABLE connector_list_pending;
DROP TABLE connector_list_counts;
DROP TABLE connector_list;
DROP FUNCTION connector_list_commit();
DROP FUNCTION connector_list_note_counts();
DROP FUNCTION connector_list_touched();
DROP FUNCTION connector_list_queue_commit();
DROP FUNCTION connector_list_rows(text[]);
CREATE OR REPLACE FUNCTION registry_generation_note_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('registry.generation_queued', true) IS DISTINCT FROM 'yes' THEN
    PERFORM set_config('registry.generation_queued', 'yes', true);
    INSERT INTO registry_generation_pending DEFAULT VALUES;
  END IF;
  RETURN NULL;
END $$;
DROP FUNCTION registry_generation_queue();
DROP FUNCTION registry_natural_sort_key(text);
-- pg_trgm stays: other objects of the database may use it.
