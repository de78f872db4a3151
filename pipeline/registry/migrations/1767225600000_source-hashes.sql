-- Up Migration
-- What lets plan/sync skip manifests that did not change (pipeline/validate/unchanged.ts):
-- the sha256 of the manifest file's raw bytes as last synced, per provider, and per sync the
-- fingerprint of everything else validation depends on (the catalogues and VALIDATOR_VERSION).
-- A NULL in either means "not known": that manifest, or every manifest, is validated in full.

ALTER TABLE connector_providers ADD COLUMN source_sha256 text CHECK (source_sha256 ~ '^[0-9a-f]{64}$');
ALTER TABLE registry_syncs ADD COLUMN validation_fingerprint text CHECK (validation_fingerprint ~ '^[0-9a-f]{64}$');

-- Down Migration
ALTER TABLE registry_syncs DROP COLUMN validation_fingerprint;
ALTER TABLE connector_providers DROP COLUMN source_sha256;
