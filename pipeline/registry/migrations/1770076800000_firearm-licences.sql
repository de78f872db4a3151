-- Up Migration
-- Firearm licences (DESIGN.md "Firearm licences"). Only the operator's site grants, revokes,
-- approves and denies (pipeline/registry/licences.ts); the connector runtime records requests and
-- uses and consumes licences. The rules that must never be broken are held here, not by callers:
--  - a licence names a firearm type that exists, lasts 1 minute to 7 days, and never exceeds its
--    max_uses (its `uses` counter is maintained by a trigger on firearm_uses, so a use row and the
--    counter cannot disagree);
--  - a revoked licence stays revoked; a request that left 'approved' (spent, denied, expired)
--    never goes back, so a one-shot approval is spent at most once;
--  - argument values live only on a request that is still pending or approved (cleared when it is
--    spent, denied or expired); firearm_uses holds their sha256 only. Key values are never stored.

CREATE TABLE licence_requests (
  id                  bigserial PRIMARY KEY,
  provider_slug       text NOT NULL REFERENCES connector_providers (provider_slug) ON DELETE CASCADE,
  -- The MCP tool the agent called and the manifest scope behind it.
  tool                text NOT NULL CHECK (length(tool) BETWEEN 1 AND 200),
  scope               text NOT NULL CHECK (length(scope) BETWEEN 1 AND 200),
  firearm_type        text NOT NULL REFERENCES firearm_types (id),
  -- The canonical JSON of the call's arguments (key values redacted) and the sha256 (hex) of the
  -- canonical JSON of the arguments as called: a one-shot approval runs exactly that call.
  arguments           jsonb,
  arguments_sha256    text NOT NULL CHECK (arguments_sha256 ~ '^[0-9a-f]{64}$'),
  client_name         text CHECK (length(client_name) <= 200),
  client_version      text CHECK (length(client_version) <= 100),
  requested_at        timestamptz NOT NULL DEFAULT now(),
  status              text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'approved', 'denied', 'spent', 'expired')),
  decided_by          text,
  decided_at          timestamptz,
  -- Set on approval: the one-shot runs only before this (15 minutes after the decision) and only
  -- while the connector is still approved at this digest. A request answered by a licence grant
  -- (firearm_licences.request_id) is approved with no window (= decided_at): the licence runs it.
  approval_expires_at timestamptz,
  connector_digest    text,
  spent_at            timestamptz,
  CHECK ((decided_at IS NULL) = (decided_by IS NULL)),
  CHECK (status <> 'pending' OR decided_at IS NULL),
  CHECK (status NOT IN ('approved', 'denied', 'spent') OR decided_at IS NOT NULL),
  CHECK (status NOT IN ('approved', 'spent') OR (approval_expires_at IS NOT NULL AND connector_digest IS NOT NULL)),
  CHECK (approval_expires_at IS NULL OR approval_expires_at <= decided_at + interval '15 minutes'),
  CHECK ((status = 'spent') = (spent_at IS NOT NULL)),
  CHECK (status IN ('pending', 'approved') OR arguments IS NULL),
  CHECK (status <> 'pending' OR arguments IS NOT NULL)
);
-- One pending request per (connector, tool, scope, arguments): an identical call reuses it.
CREATE UNIQUE INDEX licence_requests_pending_key ON licence_requests (provider_slug, tool, scope, arguments_sha256)
  WHERE status = 'pending';
-- The one-shot lookup of a call.
CREATE INDEX licence_requests_approved_idx ON licence_requests (provider_slug, arguments_sha256)
  WHERE status = 'approved';
CREATE INDEX licence_requests_status_idx ON licence_requests (status, requested_at DESC);
CREATE INDEX licence_requests_provider_idx ON licence_requests (provider_slug, requested_at DESC);

CREATE TABLE firearm_licences (
  id               bigserial PRIMARY KEY,
  provider_slug    text NOT NULL REFERENCES connector_providers (provider_slug) ON DELETE CASCADE,
  firearm_type     text NOT NULL REFERENCES firearm_types (id),
  -- NULL: every scope of this firearm type of the connector. Not a foreign key: a sync that
  -- removes the scope must not be blocked, and the licence then simply matches no call.
  scope            text CHECK (length(scope) BETWEEN 1 AND 200),
  granted_by       text NOT NULL CHECK (length(granted_by) BETWEEN 1 AND 200),
  granted_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  max_uses         integer CHECK (max_uses > 0),
  uses             integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
  revoked_at       timestamptz,
  revoked_by       text,
  note             text CHECK (length(note) <= 500),
  -- The request an operator granted this licence from, if any.
  request_id       bigint REFERENCES licence_requests (id) ON DELETE SET NULL,
  -- The connector's approved digest at grant time: the licence applies only while the connector
  -- is approved at this digest, so it stops applying when the connector leaves `approved`.
  connector_digest text NOT NULL,
  CHECK (expires_at >= granted_at + interval '1 minute' AND expires_at <= granted_at + interval '7 days'),
  CHECK (max_uses IS NULL OR uses <= max_uses),
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
-- The runtime's check: live licences of one connector and firearm type.
CREATE INDEX firearm_licences_check_idx ON firearm_licences (provider_slug, firearm_type, expires_at)
  WHERE revoked_at IS NULL;
CREATE INDEX firearm_licences_expires_idx ON firearm_licences (expires_at DESC);

CREATE TABLE firearm_uses (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  provider_slug    text NOT NULL REFERENCES connector_providers (provider_slug) ON DELETE CASCADE,
  tool             text NOT NULL CHECK (length(tool) BETWEEN 1 AND 200),
  scope            text NOT NULL CHECK (length(scope) BETWEEN 1 AND 200),
  firearm_type     text NOT NULL REFERENCES firearm_types (id),
  licence_id       bigint REFERENCES firearm_licences (id) ON DELETE CASCADE,
  request_id       bigint REFERENCES licence_requests (id) ON DELETE CASCADE,
  arguments_sha256 text NOT NULL CHECK (arguments_sha256 ~ '^[0-9a-f]{64}$'),
  -- allowed: running (or the process died while running); succeeded / failed: the handler's
  -- answer; refused: no licence (a request was recorded); denied: the operator denied the request.
  outcome          text NOT NULL CHECK (outcome IN ('allowed', 'succeeded', 'failed', 'refused', 'denied')),
  -- A stable code saying why (no_licence, connector_not_approved, timed_out, declined, ...).
  reason           text CHECK (reason ~ '^[a-z_]{1,64}$'),
  duration_ms      double precision CHECK (duration_ms >= 0),
  client_name      text CHECK (length(client_name) <= 200),
  client_version   text CHECK (length(client_version) <= 100),
  -- An allowed call ran under exactly one licence or one one-shot approval.
  CHECK (outcome NOT IN ('allowed', 'succeeded', 'failed') OR ((licence_id IS NULL) <> (request_id IS NULL))),
  CHECK (outcome NOT IN ('refused', 'denied') OR licence_id IS NULL)
);
CREATE INDEX firearm_uses_at_idx ON firearm_uses (at DESC);
CREATE INDEX firearm_uses_provider_idx ON firearm_uses (provider_slug, at DESC);
CREATE INDEX firearm_uses_licence_idx ON firearm_uses (licence_id) WHERE licence_id IS NOT NULL;
CREATE INDEX firearm_uses_request_idx ON firearm_uses (request_id) WHERE request_id IS NOT NULL;

-- A licence's `uses` counts its use rows: bumped in the same statement that records the use, so
-- the CHECK on max_uses refuses the use row itself when the licence has no use left.
CREATE FUNCTION firearm_uses_count_licence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.licence_id IS NOT NULL THEN
    UPDATE firearm_licences SET uses = uses + 1 WHERE id = NEW.licence_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER firearm_uses_count_licence AFTER INSERT ON firearm_uses
  FOR EACH ROW EXECUTE FUNCTION firearm_uses_count_licence();

-- What a use row may become after it is written: an allowed call gets its outcome and duration;
-- nothing else changes, and no other row changes at all.
CREATE FUNCTION firearm_uses_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.outcome <> 'allowed' OR NEW.outcome NOT IN ('allowed', 'succeeded', 'failed')
     OR (NEW.licence_id, NEW.request_id, NEW.provider_slug, NEW.tool, NEW.scope, NEW.firearm_type, NEW.arguments_sha256, NEW.at)
        IS DISTINCT FROM (OLD.licence_id, OLD.request_id, OLD.provider_slug, OLD.tool, OLD.scope, OLD.firearm_type, OLD.arguments_sha256, OLD.at) THEN
    RAISE EXCEPTION 'firearm_uses row % is a record: only an allowed call''s outcome and duration may be set', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER firearm_uses_guard BEFORE UPDATE ON firearm_uses
  FOR EACH ROW EXECUTE FUNCTION firearm_uses_guard();

-- A licence's grant is fixed; revocation is final; `uses` moves only by one, from the counting
-- trigger above (trigger depth 2), never by a direct UPDATE.
CREATE FUNCTION firearm_licences_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at)
     OR (NEW.uses <> OLD.uses AND (NEW.uses <> OLD.uses + 1 OR pg_trigger_depth() < 2))
     OR (NEW.provider_slug, NEW.firearm_type, NEW.scope, NEW.granted_by, NEW.granted_at, NEW.expires_at, NEW.max_uses, NEW.connector_digest)
        IS DISTINCT FROM (OLD.provider_slug, OLD.firearm_type, OLD.scope, OLD.granted_by, OLD.granted_at, OLD.expires_at, OLD.max_uses, OLD.connector_digest) THEN
    RAISE EXCEPTION 'firearm licence %: a grant cannot be changed, a revocation is final, and uses are counted from firearm_uses only', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER firearm_licences_guard BEFORE UPDATE ON firearm_licences
  FOR EACH ROW EXECUTE FUNCTION firearm_licences_guard();

-- pending -> approved | denied | expired; approved -> spent | expired; the rest is final.
CREATE FUNCTION licence_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'pending' AND NEW.status IN ('approved', 'denied', 'expired'))
    OR (OLD.status = 'approved' AND NEW.status IN ('spent', 'expired'))) THEN
    RAISE EXCEPTION 'licence request % is %: it cannot become %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  IF (NEW.provider_slug, NEW.tool, NEW.scope, NEW.firearm_type, NEW.arguments_sha256, NEW.requested_at)
     IS DISTINCT FROM (OLD.provider_slug, OLD.tool, OLD.scope, OLD.firearm_type, OLD.arguments_sha256, OLD.requested_at) THEN
    RAISE EXCEPTION 'licence request %: what was asked cannot be changed', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER licence_requests_guard BEFORE UPDATE ON licence_requests
  FOR EACH ROW EXECUTE FUNCTION licence_requests_guard();

-- Down Migration
DROP TABLE firearm_uses;
DROP TABLE firearm_licences;
DROP TABLE licence_requests;
DROP FUNCTION firearm_uses_count_licence();
DROP FUNCTION firearm_uses_guard();
DROP FUNCTION firearm_licences_guard();
DROP FUNCTION licence_requests_guard();
