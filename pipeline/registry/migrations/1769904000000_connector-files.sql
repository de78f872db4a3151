-- Up Migration
-- The connector digest covers the whole connector folder (pipeline/schema/digest.ts): the parsed
-- manifest and every other file by path and bytes. From here on connector_providers.manifest_digest
-- and approved_digest hold that digest, and source_sha256 the sha256 of the folder's files by path
-- and raw bytes (the sentinel's unchanged-folder fast path). So editing a connector's code after
-- approval turns `approved` into `changed` on the next sync, like a manifest change, and the
-- connector runtime gets its keys only at the approved digest.
--
-- The registry remembers which files a connector had at its last sync (connector_files, written by
-- the sentinel in the same transaction as the digest) and at its approval (connector_approved_files,
-- copied from connector_files by the approval), so the site can list the files changed since
-- approval. Only the text of small UTF-8 source and document files is kept (at most 64 KiB each,
-- never the manifest's, which connector_providers.manifest holds parsed); other files are known by
-- hash and size only. A recorded file list always holds manifest.yaml: no rows at all means "not
-- recorded" (an approval made before this migration).

CREATE TABLE connector_files (
  provider_slug text NOT NULL REFERENCES connector_providers (provider_slug) ON DELETE CASCADE,
  -- Relative to connectors/<slug>/, '/'-separated, no empty, '.' or '..' segment.
  path          text NOT NULL CHECK (length(path) BETWEEN 1 AND 4096 AND path !~ '(^|/)(\.\.?)?(/|$)'),
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size          bigint NOT NULL CHECK (size >= 0),
  -- Exactly the file's bytes as UTF-8, or NULL (binary, large, or not a source or document file).
  text          text CHECK (text IS NULL OR (size <= 65536 AND octet_length(text) = size)),
  PRIMARY KEY (provider_slug, path)
);

CREATE TABLE connector_approved_files (
  provider_slug text NOT NULL REFERENCES connector_providers (provider_slug) ON DELETE CASCADE,
  path          text NOT NULL CHECK (length(path) BETWEEN 1 AND 4096 AND path !~ '(^|/)(\.\.?)?(/|$)'),
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size          bigint NOT NULL CHECK (size >= 0),
  text          text CHECK (text IS NULL OR (size <= 65536 AND octet_length(text) = size)),
  PRIMARY KEY (provider_slug, path)
);

COMMENT ON COLUMN connector_providers.manifest_digest IS
  'The connector digest: the parsed manifest and every other file of connectors/<slug>/ (pipeline/schema/digest.ts connectorDigest).';
COMMENT ON COLUMN connector_providers.source_sha256 IS
  'sha256 of the connector folder''s files by path and raw bytes as last synced (pipeline/validate/connector-folder.ts folderSourceSha256).';

-- The registry generation's triggers (migration 1770163200000) cover every table when that
-- migration runs after this one; on a registry where it already ran, track these tables here.
DO $$
BEGIN
  IF to_regproc('registry_track_generation') IS NOT NULL THEN
    PERFORM registry_track_generation('connector_files');
    PERFORM registry_track_generation('connector_approved_files');
  END IF;
END $$;

-- Down Migration
DROP TABLE connector_approved_files;
DROP TABLE connector_files;
COMMENT ON COLUMN connector_providers.manifest_digest IS NULL;
COMMENT ON COLUMN connector_providers.source_sha256 IS NULL;
