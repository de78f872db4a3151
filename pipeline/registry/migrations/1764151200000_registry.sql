-- Up Migration
-- The connector registry. The sentinel (pipeline/sentinel) is the only writer of catalogue,
-- provider and child rows; the site writes approvals and events. Secret values never live here:
-- connector_secrets holds key names and labels only.

CREATE TABLE firearm_types (
  id          text PRIMARY KEY CHECK (id ~ '^[A-Z][A-Z0-9_]*$'),
  label       text NOT NULL,
  description text NOT NULL,
  -- Set when the id left the catalogue; kept so tombstoned scopes still reference it.
  retired_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE core_kpis (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]*$'),
  label       text NOT NULL,
  description text NOT NULL,
  unit        text CHECK (unit IN ('currency', 'count', 'ratio', 'percent')),
  retired_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE connector_providers (
  provider_slug     text PRIMARY KEY CHECK (provider_slug ~ '^[a-z][a-z0-9_]{1,62}$'),
  display_name      text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
  description       text,
  auth_mode         text NOT NULL CHECK (auth_mode IN ('oauth', 'byok', 'oauth_and_byok', 'none')),
  docs_url          text CHECK (docs_url LIKE 'https://%'),
  status            text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'approved', 'changed', 'retired')),
  manifest_path     text NOT NULL,
  -- sha256 (hex) of the canonical JSON of the parsed manifest: the sync skips a provider whose
  -- digest is unchanged, and approval is of one exact digest.
  manifest_digest   text NOT NULL,
  manifest          jsonb NOT NULL,
  approved_digest   text,
  approved_manifest jsonb,
  approved_at       timestamptz,
  approved_by       text,
  retired_at        timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (status <> 'approved' OR approved_digest IS NOT DISTINCT FROM manifest_digest),
  CHECK (status <> 'changed' OR approved_digest IS NOT NULL),
  CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
CREATE INDEX connector_providers_status_idx ON connector_providers (status);
CREATE INDEX connector_providers_display_name_idx ON connector_providers (lower(display_name));

CREATE TABLE connector_scopes (
  provider_slug    text NOT NULL REFERENCES connector_providers (provider_slug) ON DELETE CASCADE,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description      text NOT NULL,
  requires_firearm boolean NOT NULL,
  firearm_type     text REFERENCES firearm_types (id),
  position         integer NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider_slug, name),
  -- A scope that requires a firearm has a firearm type, and only such a scope has one.
  CHECK (requires_firearm = (firearm_type IS NOT NULL))
);
CREATE INDEX connector_scopes_firearm_idx ON connector_scopes (provider_slug) WHERE requires_firearm;

CREATE TABLE kpi_mappings (
  provider_slug text NOT NULL REFERENCES connector_providers (provider_slug) ON DELETE CASCADE,
  raw_metric    text NOT NULL,
  core_kpi      text NOT NULL REFERENCES core_kpis (id),
  aggregation   text NOT NULL DEFAULT 'sum' CHECK (aggregation IN ('sum', 'avg', 'min', 'max', 'last')),
  position      integer NOT NULL,
  -- A mapping whose aggregation changes loses its approval (the sentinel clears these).
  approved_at   timestamptz,
  approved_by   text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider_slug, raw_metric, core_kpi),
  CHECK ((approved_at IS NULL) = (approved_by IS NULL))
);

CREATE TABLE connector_secrets (
  provider_slug text NOT NULL REFERENCES connector_providers (provider_slug) ON DELETE CASCADE,
  key_name      text NOT NULL CHECK (key_name ~ '^[A-Z][A-Z0-9_]{0,127}$'),
  label         text NOT NULL,
  description   text,
  optional      boolean NOT NULL DEFAULT false,
  position      integer NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider_slug, key_name)
);

CREATE TABLE registry_syncs (
  id           bigserial PRIMARY KEY,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL DEFAULT now(),
  commit_sha   text,
  actor        text NOT NULL,
  outcome      text NOT NULL CHECK (outcome IN ('applied', 'noop', 'failed')),
  -- {"providers":{"added":n,"changed":n,"unchanged":n,"retired":n,"revived":n},
  --  "scopes":{"added":n,"changed":n,"removed":n}, "kpi_mappings":{...}, "secrets":{...},
  --  "firearm_types":{...}, "core_kpis":{...}}
  counts       jsonb NOT NULL,
  error        text
);
CREATE INDEX registry_syncs_started_idx ON registry_syncs (started_at DESC);

CREATE TABLE registry_events (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  -- NULL for events about the whole registry (a sync).
  provider_slug text REFERENCES connector_providers (provider_slug) ON DELETE CASCADE,
  -- sync | approve | approve_kpi | key_set | key_set_failed | status_changed
  kind          text NOT NULL CHECK (kind ~ '^[a-z_]+$'),
  actor         text NOT NULL,
  sync_id       bigint REFERENCES registry_syncs (id),
  -- Names and counts only; never a secret value.
  details       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX registry_events_provider_idx ON registry_events (provider_slug, at DESC);

-- Down Migration
DROP TABLE registry_events;
DROP TABLE registry_syncs;
DROP TABLE connector_secrets;
DROP TABLE kpi_mappings;
DROP TABLE connector_scopes;
DROP TABLE connector_providers;
DROP TABLE core_kpis;
DROP TABLE firearm_types;
