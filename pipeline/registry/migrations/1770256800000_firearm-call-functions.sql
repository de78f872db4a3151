-- Up Migration
-- The two statements on every firearm call's path, as functions, called from
-- pipeline/registry/licences.ts (checkAndConsume, finishUse):
--  - a function's statements are planned once per session and reused; on the embedded registry
--    (one PGlite session shared by every client) planning the equivalent single SQL statement took
--    more time than running it;
--  - the decision needs no round trip per step, and a refused call executes no write at all, so it
--    changes no row and does not bump the registry generation (a call waiting for the operator
--    polls this).

-- Decides one firearm call and, when it may run, consumes what allows it: a one-shot approval of
-- exactly these arguments first (approved -> spent; of two racing calls exactly one wins), else the
-- narrowest live licence (locked, then counted by the use row's trigger). Returns no row when the
-- connector is unknown; else its status, whether the scope is that firearm type in the registry,
-- and when allowed the new firearm_uses row (outcome 'allowed') with its licence or request.
CREATE FUNCTION firearm_call_consume(
  p_slug text, p_tool text, p_scope text, p_type text, p_sha text, p_client_name text, p_client_version text
) RETURNS TABLE (status text, scope_ok boolean, use_id bigint, licence_id bigint, request_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
  v_digest text;
  v_scope_ok boolean;
  v_request bigint;
  v_licence bigint;
  v_use bigint;
BEGIN
  SELECT p.status, p.approved_digest,
         EXISTS (SELECT 1 FROM connector_scopes s
                  WHERE s.provider_slug = p.provider_slug AND s.name = p_scope AND s.requires_firearm AND s.firearm_type = p_type)
    INTO v_status, v_digest, v_scope_ok
    FROM connector_providers p WHERE p.provider_slug = p_slug;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF v_status = 'approved' AND v_digest IS NOT NULL AND v_scope_ok THEN
    IF EXISTS (SELECT 1 FROM licence_requests q
                WHERE q.provider_slug = p_slug AND q.arguments_sha256 = p_sha AND q.status = 'approved') THEN
      UPDATE licence_requests r SET status = 'spent', spent_at = now(), arguments = NULL
       WHERE r.id = (SELECT q.id FROM licence_requests q
                      WHERE q.provider_slug = p_slug AND q.arguments_sha256 = p_sha AND q.tool = p_tool AND q.scope = p_scope
                        AND q.firearm_type = p_type AND q.status = 'approved' AND q.approval_expires_at > now()
                        AND q.connector_digest = v_digest
                      ORDER BY q.id LIMIT 1 FOR UPDATE)
         AND r.status = 'approved'
      RETURNING r.id INTO v_request;
    END IF;
    IF v_request IS NULL THEN
      SELECT l.id INTO v_licence FROM firearm_licences l
       WHERE l.provider_slug = p_slug AND l.firearm_type = p_type AND (l.scope IS NULL OR l.scope = p_scope)
         AND l.revoked_at IS NULL AND l.expires_at > now() AND (l.max_uses IS NULL OR l.uses < l.max_uses)
         AND l.connector_digest = v_digest
       ORDER BY (l.scope IS NULL), (l.max_uses IS NULL), l.expires_at, l.id
       LIMIT 1 FOR UPDATE;
    END IF;
    IF v_request IS NOT NULL OR v_licence IS NOT NULL THEN
      INSERT INTO firearm_uses (provider_slug, tool, scope, firearm_type, licence_id, request_id, arguments_sha256, outcome, client_name, client_version)
      VALUES (p_slug, p_tool, p_scope, p_type, v_licence, v_request, p_sha, 'allowed', p_client_name, p_client_version)
      RETURNING id INTO v_use;
    END IF;
  END IF;
  RETURN QUERY SELECT v_status, v_scope_ok, v_use, v_licence, v_request;
END $$;

-- Sets the outcome of an allowed call. The record guards nothing (the use was counted when it was
-- consumed), so its transaction commits without waiting for the WAL flush: no disk sync on the
-- call's path; a database crash may lose it, and the use then reads 'allowed' ("running, or died").
CREATE FUNCTION firearm_use_finish(p_id bigint, p_outcome text, p_duration_ms double precision, p_reason text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  UPDATE firearm_uses SET outcome = p_outcome, duration_ms = p_duration_ms, reason = p_reason
   WHERE id = p_id AND outcome = 'allowed';
END $$;

-- Down Migration
DROP FUNCTION firearm_use_finish(bigint, text, double precision, text);
DROP FUNCTION firearm_call_consume(text, text, text, text, text, text, text);
