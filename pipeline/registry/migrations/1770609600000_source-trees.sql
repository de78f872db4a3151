-- Up Migration
-- What lets plan/sync in a git checkout skip connector folders without even reading them
-- (pipeline/sentinel/git-folders.ts): the git tree id of connectors/<slug> the sync read, when the
-- folder was exactly that tree (committed, nothing changed, staged, untracked or ignored under it).
-- NULL when it was synced from uncommitted work or outside git: then the folder is read and its
-- source_sha256 decides, as before. A tree id is a content address (SHA-1, or SHA-256 in a
-- repository that uses it), so it names the same bytes in every clone, shallow or not.

ALTER TABLE connector_providers ADD COLUMN source_tree text CHECK (source_tree ~ '^([0-9a-f]{40}|[0-9a-f]{64})$');

COMMENT ON COLUMN connector_providers.source_tree IS
  'git tree id of connectors/<slug> as last synced, when the folder synced was exactly that committed tree; NULL: synced from uncommitted work or outside git (source_sha256 decides).';

-- Down Migration
ALTER TABLE connector_providers DROP COLUMN source_tree;
