/**
 * Firearm licences in the registry: what the operator does in the site (grant, revoke, approve or
 * deny a request), what the connector runtime does on every firearm call (check and consume,
 * record a request, record a use), and the lists both show. Every writer of these tables goes
 * through this module; the rules that must hold whoever writes are in the migration
 * (1770076800000_firearm-licences.sql): expiry within 7 days, uses never above max_uses (a trigger
 * counts use rows), final states that stay final, argument values only on an open request.
 *
 * Each function takes a `Connectable` (db.ts) first: a pg.Pool (a client is taken for transactions) or a
 * connected pg.Client / PoolClient that is not inside a transaction of its own.
 * Expected failures are results (`{ ok: false, code, message }`), never throws; a throw means the
 * registry itself failed (unreachable, schema missing).
 */
import type pg from 'pg';
import { inTransaction, type Connectable } from './db.ts';

/** How long an approved request may wait for its one call. */
export const ONE_SHOT_MINUTES = 15;
/** A pending request nobody decided within this long expires (the agent has moved on). */
export const PENDING_REQUEST_HOURS = 24;
/** The longest licence: 7 days. */
export const MAX_LICENCE_MINUTES = 10_080;
/** Argument JSON kept on a request for the operator to read, at most (bytes of canonical JSON). */
export const MAX_KEPT_ARGUMENTS_BYTES = 65_536;

export type LicenceErrorCode = 'invalid_input' | 'not_found' | 'connector_not_approved' | 'firearm_type_mismatch' | 'conflict';
export type Refused = { ok: false; code: LicenceErrorCode; message: string };

export interface LicenceRow {
  id: number;
  provider_slug: string;
  firearm_type: string;
  scope: string | null;
  granted_by: string;
  granted_at: Date;
  expires_at: Date;
  max_uses: number | null;
  uses: number;
  revoked_at: Date | null;
  revoked_by: string | null;
  note: string | null;
  request_id: number | null;
  /** active: it would license a call now; else why not. */
  state: 'active' | 'expired' | 'revoked' | 'used_up' | 'connector_not_approved';
}

export interface RequestRow {
  id: number;
  provider_slug: string;
  tool: string;
  scope: string;
  firearm_type: string;
  /** The call's arguments, key values redacted; null once the request left pending/approved. */
  arguments: unknown;
  arguments_sha256: string;
  client_name: string | null;
  client_version: string | null;
  requested_at: Date;
  status: 'pending' | 'approved' | 'denied' | 'spent' | 'expired';
  decided_by: string | null;
  decided_at: Date | null;
  approval_expires_at: Date | null;
  spent_at: Date | null;
}

export type UseOutcome = 'allowed' | 'succeeded' | 'failed' | 'refused' | 'denied';

export interface UseRow {
  id: number;
  at: Date;
  provider_slug: string;
  tool: string;
  scope: string;
  firearm_type: string;
  licence_id: number | null;
  request_id: number | null;
  arguments_sha256: string;
  outcome: UseOutcome;
  reason: string | null;
  duration_ms: number | null;
  client_name: string | null;
  client_version: string | null;
}

// ---------------------------------------------------------------------------------------------
// Shared SQL

const STALE_PENDING = `requested_at < now() - interval '${PENDING_REQUEST_HOURS} hours'`;

/** A licence row `l` applies to a call now, given the provider row `p` (the runtime's rule, and the list's "active"). */
const LICENCE_LIVE = `l.revoked_at IS NULL AND l.expires_at > now() AND (l.max_uses IS NULL OR l.uses < l.max_uses)
  AND p.status = 'approved' AND p.approved_digest = l.connector_digest`;

const LICENCE_STATE = `CASE
    WHEN l.revoked_at IS NOT NULL THEN 'revoked'
    WHEN l.expires_at <= now() THEN 'expired'
    WHEN l.max_uses IS NOT NULL AND l.uses >= l.max_uses THEN 'used_up'
    WHEN p.status IS DISTINCT FROM 'approved' OR p.approved_digest IS DISTINCT FROM l.connector_digest THEN 'connector_not_approved'
    ELSE 'active' END`;

const LICENCE_COLUMNS = `l.id::float8 AS id, l.provider_slug, l.firearm_type, l.scope, l.granted_by, l.granted_at, l.expires_at,
  l.max_uses, l.uses, l.revoked_at, l.revoked_by, l.note, l.request_id::float8 AS request_id, ${LICENCE_STATE} AS state`;

const REQUEST_COLUMNS = `r.id::float8 AS id, r.provider_slug, r.tool, r.scope, r.firearm_type, r.arguments, r.arguments_sha256,
  r.client_name, r.client_version, r.requested_at, r.status, r.decided_by, r.decided_at, r.approval_expires_at, r.spent_at`;

const USE_COLUMNS = `u.id::float8 AS id, u.at, u.provider_slug, u.tool, u.scope, u.firearm_type, u.licence_id::float8 AS licence_id,
  u.request_id::float8 AS request_id, u.arguments_sha256, u.outcome, u.reason, u.duration_ms, u.client_name, u.client_version`;

/**
 * Runs `fn` in a transaction that commits without waiting for the WAL flush: for records that say
 * what happened but guard nothing (a call's outcome, a refused call), so recording them costs no
 * disk sync on the call's path. A database crash may lose the last of them (an allowed use then
 * stays 'allowed', which reads as "running, or the process died"). What guards (the consumed
 * licence use or one-shot, in checkAndConsume) always commits synchronously.
 * (SET LOCAL in its own statement: set_config() inside the writing statement does not reach the
 * commit once the registry generation's deferred trigger runs there.)
 */
function inRecordTransaction<T>(db: Connectable, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  return inTransaction(db, async (client) => {
    await client.query('SET LOCAL synchronous_commit = off');
    return fn(client);
  });
}

const refuse = (code: LicenceErrorCode, message: string): Refused => ({ ok: false, code, message });

function event(client: pg.ClientBase, slug: string, kind: string, actor: string, details: Record<string, unknown>) {
  return client.query(`INSERT INTO registry_events (provider_slug, kind, actor, details) VALUES ($1, $2, $3, $4::jsonb)`, [
    slug,
    kind,
    actor,
    JSON.stringify(details),
  ]);
}

function checkOperator(operator: string): Refused | null {
  return typeof operator === 'string' && operator.trim().length > 0 && operator.length <= 200
    ? null
    : refuse('invalid_input', 'the operator name is missing; events must say who acted');
}

function isId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
}

/** The connector's status and approved digest, locked against a concurrent sync changing it. */
async function lockProvider(client: pg.ClientBase, slug: string) {
  const { rows } = await client.query<{ status: string; approved_digest: string | null }>(
    `SELECT status, approved_digest FROM connector_providers WHERE provider_slug = $1 FOR SHARE`,
    [slug],
  );
  return rows[0];
}

function notApproved(slug: string, status: string, what: string): Refused {
  return refuse(
    'connector_not_approved',
    `"${slug}" is ${status}, not approved: ${what} only for an approved connector. Review and approve it on its page first.`,
  );
}

/** The firearm scopes of a connector: name -> firearm type. */
async function firearmScopes(client: pg.ClientBase, slug: string): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; firearm_type: string }>(
    `SELECT name, firearm_type FROM connector_scopes WHERE provider_slug = $1 AND requires_firearm ORDER BY position`,
    [slug],
  );
  return new Map(rows.map((r) => [r.name, r.firearm_type]));
}

// ---------------------------------------------------------------------------------------------
// The operator (God Config site)

export interface GrantInput {
  providerSlug: string;
  firearmType: string;
  /** Narrow the licence to one scope of that firearm type; default every such scope. */
  scope?: string | null;
  /** 1..10080 (7 days). */
  durationMinutes: number;
  maxUses?: number | null;
  note?: string | null;
  operator: string;
  /** The pending request this grant answers; it is marked approved (its one-shot is this licence). */
  fromRequestId?: number | null;
}

/**
 * Grants a licence. Touches: one new firearm_licences row, one registry_events row
 * ('licence_grant'), and with `fromRequestId` that licence_requests row (pending -> approved
 * with no one-shot window of its own and its arguments dropped: the licence is what runs the call).
 * Refused unless the connector is `approved` and the firearm type (and scope) are its own.
 */
export async function grantLicence(db: Connectable, input: GrantInput): Promise<{ ok: true; licence: LicenceRow } | Refused> {
  const bad = checkOperator(input.operator) ?? validateGrant(input);
  if (bad) return bad;
  const scope = input.scope ? input.scope : null;
  const note = input.note?.trim() ? input.note.trim() : null;
  return inTransaction(db, async (client) => {
    const provider = await lockProvider(client, input.providerSlug);
    if (!provider) return refuse('not_found', `no connector "${input.providerSlug}" in the registry`);
    if (provider.status !== 'approved' || !provider.approved_digest) {
      return notApproved(input.providerSlug, provider.status, 'a licence can be granted');
    }
    const scopes = await firearmScopes(client, input.providerSlug);
    const types = [...new Set(scopes.values())];
    if (!types.includes(input.firearmType)) {
      return refuse(
        'firearm_type_mismatch',
        types.length === 0
          ? `"${input.providerSlug}" has no firearm scope, so there is nothing to license`
          : `"${input.providerSlug}" has no scope of firearm type ${input.firearmType}; its firearm types are ${types.join(', ')}`,
      );
    }
    if (scope !== null && scopes.get(scope) !== input.firearmType) {
      return refuse(
        'firearm_type_mismatch',
        scopes.has(scope)
          ? `scope ${scope} of "${input.providerSlug}" is of firearm type ${scopes.get(scope)}, not ${input.firearmType}`
          : `"${input.providerSlug}" has no firearm scope named ${scope}; its ${input.firearmType} scopes are ` +
              [...scopes].filter(([, t]) => t === input.firearmType).map(([n]) => n).join(', '),
      );
    }
    let requestId: number | null = null;
    if (input.fromRequestId != null) {
      const asked = await getRequest(client, input.fromRequestId);
      if (!asked) return refuse('not_found', `no licence request ${input.fromRequestId}`);
      if (asked.provider_slug !== input.providerSlug || asked.firearm_type !== input.firearmType || (scope !== null && scope !== asked.scope)) {
        return refuse(
          'firearm_type_mismatch',
          `request ${asked.id} asked for ${asked.provider_slug} ${asked.scope} (${asked.firearm_type}); this licence would not cover it`,
        );
      }
      // The licence is what runs the call: the request is decided with no one-shot window of its own.
      const decided = await decidePending(client, asked.id, input.operator, 'approved', provider.approved_digest, 0);
      if (!decided.ok) return decided;
      requestId = asked.id;
    }
    const { rows } = await client.query<LicenceRow>(
      `WITH l AS (
         INSERT INTO firearm_licences (provider_slug, firearm_type, scope, granted_by, expires_at, max_uses, note, request_id, connector_digest)
         VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5), $6, $7, $8, $9)
         RETURNING *)
       SELECT ${LICENCE_COLUMNS} FROM l JOIN connector_providers p USING (provider_slug)`,
      [input.providerSlug, input.firearmType, scope, input.operator, input.durationMinutes, input.maxUses ?? null, note, requestId, provider.approved_digest],
    );
    const licence = rows[0]!;
    await event(client, input.providerSlug, 'licence_grant', input.operator, {
      licence_id: licence.id,
      firearm_type: licence.firearm_type,
      scope: licence.scope,
      expires_at: licence.expires_at.toISOString(),
      max_uses: licence.max_uses,
      request_id: requestId,
      ...(note !== null ? { note } : {}),
    });
    return { ok: true as const, licence };
  });
}

function validateGrant(input: GrantInput): Refused | null {
  const m = input.durationMinutes;
  if (!Number.isInteger(m) || m < 1 || m > MAX_LICENCE_MINUTES) {
    return refuse('invalid_input', `duration_minutes must be a whole number from 1 to ${MAX_LICENCE_MINUTES} (7 days), not ${String(m)}`);
  }
  const u = input.maxUses;
  if (u != null && (!Number.isInteger(u) || u < 1 || u > 1_000_000)) {
    return refuse('invalid_input', `max_uses must be a whole number from 1 to 1000000, or empty for no limit, not ${String(u)}`);
  }
  if (input.note != null && input.note.trim().length > 500) return refuse('invalid_input', 'the note is longer than 500 characters');
  if (input.scope != null && input.scope !== '' && input.scope.length > 200) return refuse('invalid_input', 'the scope name is longer than 200 characters');
  if (input.fromRequestId != null && !isId(input.fromRequestId)) return refuse('invalid_input', `request id ${String(input.fromRequestId)} is not a request id`);
  return null;
}

/**
 * Revokes a licence at once. Touches: that firearm_licences row (revoked_at/by) and one
 * registry_events row ('licence_revoke'). Revoking a revoked licence is a conflict.
 */
export async function revokeLicence(db: Connectable, id: number, operator: string): Promise<{ ok: true; licence: LicenceRow } | Refused> {
  const bad = checkOperator(operator) ?? (isId(id) ? null : refuse('invalid_input', `${String(id)} is not a licence id`));
  if (bad) return bad;
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<LicenceRow>(
      `WITH l AS (UPDATE firearm_licences SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING *)
       SELECT ${LICENCE_COLUMNS} FROM l JOIN connector_providers p USING (provider_slug)`,
      [id, operator],
    );
    const licence = rows[0];
    if (!licence) {
      const { rows: seen } = await client.query<{ revoked_by: string }>(`SELECT revoked_by FROM firearm_licences WHERE id = $1`, [id]);
      return seen[0]
        ? refuse('conflict', `licence ${id} was already revoked by ${seen[0].revoked_by}`)
        : refuse('not_found', `no licence ${id}`);
    }
    await event(client, licence.provider_slug, 'licence_revoke', operator, {
      licence_id: licence.id,
      firearm_type: licence.firearm_type,
      scope: licence.scope,
      uses: licence.uses,
    });
    return { ok: true as const, licence };
  });
}

/**
 * Approves a pending request once: exactly one call with those arguments, within 15 minutes,
 * while the connector stays approved at its current digest. Touches: that licence_requests row
 * (pending -> approved) and one registry_events row ('licence_request_approve').
 */
export async function approveRequest(db: Connectable, id: number, operator: string): Promise<{ ok: true; request: RequestRow } | Refused> {
  const bad = checkOperator(operator) ?? (isId(id) ? null : refuse('invalid_input', `${String(id)} is not a request id`));
  if (bad) return bad;
  return inTransaction(db, async (client) => {
    const slug = await requestProvider(client, id);
    if (slug === null) return refuse('not_found', `no licence request ${id}`);
    const provider = await lockProvider(client, slug);
    if (!provider || provider.status !== 'approved' || !provider.approved_digest) {
      return notApproved(slug, provider?.status ?? 'gone', 'a request can be approved');
    }
    // What was asked never changes (a trigger holds it), so it can be checked before deciding.
    const asked = (await getRequest(client, id))!;
    const scopes = await firearmScopes(client, slug);
    if (scopes.get(asked.scope) !== asked.firearm_type) {
      return refuse(
        'firearm_type_mismatch',
        `scope ${asked.scope} of "${slug}" is no longer a ${asked.firearm_type} firearm scope; the request cannot be approved`,
      );
    }
    const decided = await decidePending(client, id, operator, 'approved', provider.approved_digest, ONE_SHOT_MINUTES);
    if (!decided.ok) return decided;
    const r = decided.request;
    await event(client, slug, 'licence_request_approve', operator, {
      request_id: r.id,
      tool: r.tool,
      scope: r.scope,
      firearm_type: r.firearm_type,
      arguments_sha256: r.arguments_sha256,
      expires_at: r.approval_expires_at?.toISOString() ?? null,
    });
    return { ok: true as const, request: r };
  });
}

/**
 * Denies a pending request: the waiting call (if any) is refused and its arguments are dropped.
 * Touches: that licence_requests row (pending -> denied) and one registry_events row ('licence_request_deny').
 */
export async function denyRequest(db: Connectable, id: number, operator: string): Promise<{ ok: true; request: RequestRow } | Refused> {
  const bad = checkOperator(operator) ?? (isId(id) ? null : refuse('invalid_input', `${String(id)} is not a request id`));
  if (bad) return bad;
  return inTransaction(db, async (client) => {
    const decided = await decidePending(client, id, operator, 'denied', null, 0);
    if (!decided.ok) return decided;
    const r = decided.request;
    await event(client, r.provider_slug, 'licence_request_deny', operator, {
      request_id: r.id,
      tool: r.tool,
      scope: r.scope,
      firearm_type: r.firearm_type,
      arguments_sha256: r.arguments_sha256,
    });
    return { ok: true as const, request: r };
  });
}

async function requestProvider(client: pg.ClientBase, id: number): Promise<string | null> {
  const { rows } = await client.query<{ provider_slug: string }>(`SELECT provider_slug FROM licence_requests WHERE id = $1`, [id]);
  return rows[0]?.provider_slug ?? null;
}

/** pending -> approved (with a one-shot window of `minutes`) or denied, atomically; else why not. */
async function decidePending(
  client: pg.ClientBase,
  id: number,
  operator: string,
  to: 'approved' | 'denied',
  digest: string | null,
  minutes: number,
): Promise<{ ok: true; request: RequestRow } | Refused> {
  const { rows } = await client.query<RequestRow>(
    `WITH r AS (
       UPDATE licence_requests
          SET status = $2, decided_by = $3, decided_at = now(),
              approval_expires_at = CASE WHEN $2 = 'approved' THEN now() + make_interval(mins => $5) END,
              connector_digest = $4,
              arguments = CASE WHEN $2 = 'approved' AND $5 > 0 THEN arguments END
        WHERE id = $1 AND status = 'pending' AND NOT (${STALE_PENDING})
        RETURNING *)
     SELECT ${REQUEST_COLUMNS} FROM r`,
    [id, to, operator, digest, minutes],
  );
  if (rows[0]) return { ok: true, request: rows[0] };
  const { rows: seen } = await client.query<{ status: string; decided_by: string | null; stale: boolean }>(
    `SELECT status, decided_by, ${STALE_PENDING} AS stale FROM licence_requests WHERE id = $1`,
    [id],
  );
  const row = seen[0];
  if (!row) return refuse('not_found', `no licence request ${id}`);
  if (row.status === 'pending' && row.stale) {
    return refuse('conflict', `licence request ${id} is older than ${PENDING_REQUEST_HOURS} hours and expired; the agent must ask again`);
  }
  return refuse('conflict', `licence request ${id} is already ${row.status}${row.decided_by ? ` (by ${row.decided_by})` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// Lists (site, CLI)

export interface ListOptions {
  providerSlug?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

const limitOf = (opts: ListOptions, fallback = 100) => Math.min(Math.max(1, Math.trunc(opts.limit ?? fallback)), 1000);

/**
 * Licences, newest first. `active: true` (default) keeps only those that would license a call now;
 * `active: false` lists every licence with its state. Reads only.
 */
export async function listLicences(db: Connectable, opts: ListOptions & { active?: boolean; firearmType?: string } = {}): Promise<LicenceRow[]> {
  const where = [`($1::text IS NULL OR l.provider_slug = $1)`, `($2::text IS NULL OR l.firearm_type = $2)`];
  if (opts.active !== false) where.push(LICENCE_LIVE);
  const { rows } = await db.query<LicenceRow>(
    `SELECT ${LICENCE_COLUMNS} FROM firearm_licences l JOIN connector_providers p USING (provider_slug)
      WHERE ${where.join(' AND ')} ORDER BY l.granted_at DESC, l.id DESC LIMIT $3`,
    [opts.providerSlug ?? null, opts.firearmType ?? null, limitOf(opts)],
  );
  return rows;
}

/** Requests still waiting for a decision (not older than 24 hours), newest first. Reads only. */
export async function listPendingRequests(db: Connectable, opts: ListOptions = {}): Promise<RequestRow[]> {
  const { rows } = await db.query<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM licence_requests r
      WHERE r.status = 'pending' AND NOT (r.${STALE_PENDING}) AND ($1::text IS NULL OR r.provider_slug = $1)
      ORDER BY r.requested_at DESC, r.id DESC LIMIT $2`,
    [opts.providerSlug ?? null, limitOf(opts)],
  );
  return rows;
}

/** One request by id, whatever its status, or null. Reads only. */
export async function getRequest(db: Connectable, id: number): Promise<RequestRow | null> {
  if (!isId(id)) return null;
  const { rows } = await db.query<RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM licence_requests r WHERE r.id = $1`, [id]);
  return rows[0] ?? null;
}

/** Firearm calls, allowed or refused, newest first (default 50). Reads only. */
export async function listRecentUses(db: Connectable, opts: ListOptions = {}): Promise<UseRow[]> {
  const { rows } = await db.query<UseRow>(
    `SELECT ${USE_COLUMNS} FROM firearm_uses u WHERE ($1::text IS NULL OR u.provider_slug = $1)
      ORDER BY u.at DESC, u.id DESC LIMIT $2`,
    [opts.providerSlug ?? null, limitOf(opts, 50)],
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------
// The connector runtime

/** One firearm call as the runtime sees it. */
export interface FirearmCall {
  providerSlug: string;
  tool: string;
  scope: string;
  firearmType: string;
  /** sha256 (hex) of the canonical JSON of the arguments as called. */
  argumentsSha256: string;
  /** The MCP client, from its initialize request. */
  client?: { name?: string; version?: string };
}

export type RefusalReason = 'connector_unknown' | 'connector_not_approved' | 'not_a_firearm_scope' | 'no_licence';

export type CheckResult =
  | { allowed: true; useId: number; licenceId: number | null; requestId: number | null }
  | { allowed: false; reason: RefusalReason; connectorStatus: string | null; message: string };

/**
 * Decides one firearm call and, when it may run, consumes what allows it: one call of the
 * database function firearm_call_consume (migration 1770256800000), so one round trip and one
 * transaction on every firearm call's path, with its statements planned once per session.
 * A one-shot approval of exactly these arguments is spent first (licence_requests row approved ->
 * spent, atomically: of two racing calls exactly one wins); else the narrowest live licence is
 * locked and used. Touches when allowed: that request or licence row, and one new firearm_uses row
 * (outcome 'allowed', whose trigger counts the licence's use). When refused it executes no write
 * at all (not even the registry generation moves), so a waiting call can poll it.
 */
export async function checkAndConsume(db: Connectable, call: FirearmCall): Promise<CheckResult> {
  const { rows } = await db.query<{ status: string; scope_ok: boolean; use_id: number | null; licence_id: number | null; request_id: number | null }>(
    `SELECT status, scope_ok, use_id::float8 AS use_id, licence_id::float8 AS licence_id, request_id::float8 AS request_id
       FROM firearm_call_consume($1, $2, $3, $4, $5, $6, $7)`,
    [call.providerSlug, call.tool, call.scope, call.firearmType, call.argumentsSha256, clip(call.client?.name, 200), clip(call.client?.version, 100)],
  );
  const row = rows[0];
  if (row?.use_id != null) return { allowed: true, useId: row.use_id, licenceId: row.licence_id, requestId: row.request_id };
  return whyNot(call, row);
}

function whyNot(call: FirearmCall, row: { status: string; scope_ok: boolean } | undefined): Extract<CheckResult, { allowed: false }> {
  if (!row) {
    return refusal('connector_unknown', null, `connector "${call.providerSlug}" is not in the registry; it must be synced and approved before any firearm call`);
  }
  if (row.status !== 'approved') {
    return refusal('connector_not_approved', row.status, `connector "${call.providerSlug}" is ${row.status}; firearm calls run only for an approved connector`);
  }
  if (!row.scope_ok) {
    return refusal(
      'not_a_firearm_scope',
      row.status,
      `the registry has no ${call.firearmType} firearm scope "${call.scope}" for "${call.providerSlug}"; the connector's manifest differs from the approved one`,
    );
  }
  return refusal('no_licence', row.status, `no live ${call.firearmType} licence and no approval of this exact call for "${call.providerSlug}"`);
}

function refusal(reason: RefusalReason, connectorStatus: string | null, message: string): Extract<CheckResult, { allowed: false }> {
  return { allowed: false, reason, connectorStatus, message };
}

/**
 * Records the request behind a refused call, or finds the identical pending one (same connector,
 * tool, scope and argument digest) and reuses it. `arguments` is what the operator will read:
 * the caller redacts key values first; too large a value is replaced by a note.
 * Touches: at most one new licence_requests row, and stale requests (pending over 24 hours,
 * approvals past their 15 minutes) become expired, dropping their arguments.
 */
export async function recordRequest(
  db: Connectable,
  call: FirearmCall & { arguments: unknown },
): Promise<{ ok: true; requestId: number; reused: boolean } | Refused> {
  const text = JSON.stringify(call.arguments ?? {});
  const kept =
    Buffer.byteLength(text) <= MAX_KEPT_ARGUMENTS_BYTES
      ? text
      : JSON.stringify({ _omitted: `the arguments are ${Buffer.byteLength(text)} bytes of JSON, too large to keep; their sha256 is ${call.argumentsSha256}` });
  return inTransaction(db, async (client) => {
    await expireStaleRequests(client);
    const { rows: known } = await client.query(`SELECT 1 FROM connector_providers WHERE provider_slug = $1`, [call.providerSlug]);
    if (known.length === 0) return refuse('not_found', `connector "${call.providerSlug}" is not in the registry`);
    const { rows } = await client.query<{ id: number; reused: boolean }>(
      `INSERT INTO licence_requests (provider_slug, tool, scope, firearm_type, arguments, arguments_sha256, client_name, client_version)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
       ON CONFLICT (provider_slug, tool, scope, arguments_sha256) WHERE status = 'pending'
       DO UPDATE SET status = licence_requests.status
       RETURNING id::float8 AS id, requested_at < now() AS reused`,
      [
        call.providerSlug,
        call.tool,
        call.scope,
        call.firearmType,
        kept,
        call.argumentsSha256,
        clip(call.client?.name, 200),
        clip(call.client?.version, 100),
      ],
    );
    const row = rows[0]!;
    return { ok: true as const, requestId: row.id, reused: row.reused };
  });
}

/** Marks stale requests expired. Touches: licence_requests rows pending over 24 hours or approved past their window. */
export async function expireStaleRequests(db: Connectable): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE licence_requests SET status = 'expired', arguments = NULL
      WHERE (status = 'pending' AND ${STALE_PENDING})
         OR (status = 'approved' AND approval_expires_at <= now() AND approval_expires_at > decided_at)`,
  );
  return rowCount ?? 0;
}

/**
 * Records a firearm call that did not run (outcome refused or denied), with the request it
 * belongs to. Touches: one new firearm_uses row.
 */
export async function recordUse(
  db: Connectable,
  call: FirearmCall,
  use: { outcome: 'refused' | 'denied'; reason: string; requestId?: number | null; durationMs: number },
): Promise<number> {
  return inRecordTransaction(db, (client) =>
    insertUse(client, call, { outcome: use.outcome, licenceId: null, requestId: use.requestId ?? null, reason: use.reason, durationMs: use.durationMs }),
  );
}

/**
 * Sets the outcome of an allowed call once its handler answered. Touches: that firearm_uses row
 * (outcome allowed -> succeeded | failed, duration).
 */
export async function finishUse(db: Connectable, useId: number, outcome: 'succeeded' | 'failed', durationMs: number, reason?: string): Promise<void> {
  // firearm_use_finish commits without waiting for the WAL flush: the record guards nothing.
  await db.query(`SELECT firearm_use_finish($1, $2, $3, $4)`, [useId, outcome, Math.max(0, durationMs), reason ?? null]);
}

async function insertUse(
  client: pg.ClientBase,
  call: FirearmCall,
  use: { outcome: UseOutcome; licenceId: number | null; requestId: number | null; reason: string | null; durationMs: number | null },
): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO firearm_uses (provider_slug, tool, scope, firearm_type, licence_id, request_id, arguments_sha256, outcome, reason, duration_ms, client_name, client_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id::float8 AS id`,
    [
      call.providerSlug,
      call.tool,
      call.scope,
      call.firearmType,
      use.licenceId,
      use.requestId,
      call.argumentsSha256,
      use.outcome,
      use.reason,
      use.durationMs === null ? null : Math.max(0, use.durationMs),
      clip(call.client?.name, 200),
      clip(call.client?.version, 100),
    ],
  );
  return rows[0]!.id;
}

function clip(text: string | undefined, max: number): string | null {
  return typeof text === 'string' && text.length > 0 ? text.slice(0, max) : null;
}

// ---------------------------------------------------------------------------------------------
// Reads for the site's confirmation step and header (added for the God Config)

/** One licence by id, whatever its state, or null. Reads only. */
export async function getLicence(db: Connectable, id: number): Promise<LicenceRow | null> {
  if (!isId(id)) return null;
  const { rows } = await db.query<LicenceRow>(
    `SELECT ${LICENCE_COLUMNS} FROM firearm_licences l JOIN connector_providers p USING (provider_slug) WHERE l.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** How many requests wait for a decision (as listPendingRequests counts them). Reads only. */
export async function countPendingRequests(db: Connectable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM licence_requests r WHERE r.status = 'pending' AND NOT (r.${STALE_PENDING})`,
  );
  return rows[0]?.n ?? 0;
}
