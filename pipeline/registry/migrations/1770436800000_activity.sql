-- Up Migration
-- What the site's /activity and /syncs show of a sync beyond its counts:
--  - worktree_dirty: the sync read connectors/ or pipeline/catalog/ with uncommitted changes
--    (`git status`, untracked files included), so what it synced is not exactly commit_sha.
--    NULL: not known (not a git checkout, or a row written before this column).
--  - problems: for a failed sync only, a summary of why, written by the sentinel
--    (pipeline/sentinel/record.ts): {"errors":n,"warnings":n,"first":[{"file","line","column",
--    "path","code"}...]} for invalid input, or {"error": "<one line>"} for a failure of the
--    registry. Codes and locations only: never a secret value, never manifest text.
-- A failed sync writes its row and its 'sync' event in a short transaction of its own after the
-- failed attempt was rolled back: nothing else in the registry changes.

ALTER TABLE registry_syncs ADD COLUMN worktree_dirty boolean;
ALTER TABLE registry_syncs ADD COLUMN problems jsonb
  CHECK (problems IS NULL OR (outcome = 'failed' AND jsonb_typeof(problems) = 'object'));

-- /activity pages by id, newest first, optionally for one connector or one kind of event.
CREATE INDEX registry_events_kind_id_idx ON registry_events (kind, id);
CREATE INDEX registry_events_provider_id_idx ON registry_events (provider_slug, id);

-- Down Migration
DROP INDEX registry_events_provider_id_idx;
DROP INDEX registry_events_kind_id_idx;
ALTER TABLE registry_syncs DROP COLUMN problems;
ALTER TABLE registry_syncs DROP COLUMN worktree_dirty;
