/**
 * What the pages need from the outside world, handed in by site/server.ts through Astro `locals`.
 * Pages depend on these shapes only, never on pg, the socket or the registry's modules directly,
 * so the Astro build stays independent of how the server wires them.
 */
// Type-only: erased from the build, so pages still never load the registry module.
import type { LicenceRow, RequestRow, UseRow } from '../../../pipeline/registry/licences.ts';

/** The slice of pg.Pool / pg.Client the pages use. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export type VaultFailure = { ok: false; code: string; message: string };
export type VaultResult<T> = ({ ok: true } & T) | VaultFailure;

/** Marks a key's value as an OAuth client credential of one token URL (vault-agent/src/oauth-bindings.ts). */
export interface OAuthBinding {
  role: 'client_id' | 'client_secret';
  token_url: string;
}

/** vault-agent over its unix socket. Never returns a secret value, only names and times (and a client ID bound as one). */
export interface VaultPort {
  list(): Promise<VaultResult<{ secrets: { name: string; updated_at: string }[] }>>;
  put(name: string, value: string, oauth?: OAuthBinding): Promise<VaultResult<{ name: string; updated_at: string }>>;
  remove(name: string): Promise<VaultResult<object>>;
  /** The client ID of a key written as this token URL's client ID (public: it goes in the authorize URL). */
  oauthClient(req: { client_id_key: string; client_secret_key?: string; token_url: string }): Promise<VaultResult<{ client_id: string }>>;
  /** vault-agent exchanges the code and stores the refresh token; the answer holds no token. */
  oauthExchange(req: {
    token_url: string;
    client_id_key: string;
    client_secret_key?: string;
    refresh_token_key: string;
    code: string;
    code_verifier: string;
    redirect_uri: string;
  }): Promise<VaultResult<{ name: string; updated_at: string; scope: string | null; expires_in: number | null }>>;
}

/** A Connect in progress: what /oauth/callback needs once the provider sends the operator back. */
export interface PendingConnect {
  slug: string;
  /** The connector's digest when Connect was pressed: a manifest changed meanwhile is refused. */
  digest: string;
  /** PKCE: the verifier of the challenge sent in the authorize URL. */
  verifier: string;
  redirectUri: string;
  requestedScopes: string[];
}

export type StateRefusal = 'missing' | 'unknown' | 'expired' | 'replayed' | 'other_session';

/** One-time OAuth `state` values, bound to the operator's session, in this process's memory (site/http/oauth-states.ts). */
export interface OAuthPort {
  /** A new state and the PKCE S256 challenge for `pending` (its verifier stays here). */
  begin(sessionId: string, pending: Omit<PendingConnect, 'verifier'>): { state: string; codeChallenge: string };
  /** Takes the state once: the pending Connect, or why the callback must be refused. */
  finish(state: string | null, sessionId: string): { ok: true; pending: PendingConnect } | { ok: false; reason: StateRefusal };
}

export type ApprovalResult = { ok: true } | { ok: false; code: string; message: string };

/** Approvals write the registry rows and their registry_events records in one step (pipeline/registry/approvals.ts). */
export interface ApprovalsPort {
  approveProvider(input: { slug: string; digest: string; actor: string }): Promise<ApprovalResult>;
  /** `aggregation`: what the operator saw; a mapping changed since is refused (conflict). */
  approveKpiMapping(input: {
    slug: string;
    raw_metric: string;
    core_kpi: string;
    aggregation?: string;
    actor: string;
  }): Promise<ApprovalResult>;
  /**
   * Every unapproved KPI mapping of a connector that is approved at `digest` (the one the operator
   * saw); another digest is refused (conflict), a connector not approved too (connector_not_approved).
   */
  approveAllKpiMappings(input: {
    slug: string;
    digest: string;
    actor: string;
  }): Promise<{ ok: true; approved: { raw_metric: string; core_kpi: string; aggregation: string }[] } | Extract<ApprovalResult, { ok: false }>>;
  /**
   * Back to draft: the approval and its file list cleared, the connector's open licences revoked
   * and one-shot approvals expired, an approval_revoked event (connector_not_approved for a draft).
   */
  revokeApproval(input: {
    slug: string;
    actor: string;
  }): Promise<{ ok: true; from: string; licencesRevoked: number[]; oneShotsExpired: number } | Extract<ApprovalResult, { ok: false }>>;
}

export type LicenceFailure = { ok: false; code: string; message: string };

/** A firearm licence, as the registry module returns it (`scope` null: every scope of its type). */
export type LicenceView = LicenceRow;

/** A firearm call that asked for a licence (arguments null once decided or expired). */
export type LicenceRequestView = RequestRow;

/** One firearm call, allowed or refused (never its argument values, nor their digest). */
export type FirearmUseView = Omit<UseRow, 'arguments_sha256'>;

export interface GrantLicenceInput {
  providerSlug: string;
  firearmType: string;
  scope: string | null;
  durationMinutes: number;
  maxUses: number | null;
  note: string | null;
  /** The pending request this grant answers (it leaves pending: the licence runs it). */
  fromRequestId: number | null;
  actor: string;
}

/**
 * Firearm licences in the registry (pipeline/registry/licences.ts): every write also records a
 * registry_events row naming `actor`; refusals are results with a code, never throws.
 */
export interface LicencesPort {
  grant(input: GrantLicenceInput): Promise<{ ok: true; licence: LicenceView } | LicenceFailure>;
  revoke(id: number, actor: string): Promise<{ ok: true; licence: LicenceView } | LicenceFailure>;
  approveRequest(id: number, actor: string): Promise<{ ok: true; request: LicenceRequestView } | LicenceFailure>;
  denyRequest(id: number, actor: string): Promise<{ ok: true; request: LicenceRequestView } | LicenceFailure>;
  /** Licences that would license a call now, newest first. */
  listActive(opts?: { providerSlug?: string }): Promise<LicenceView[]>;
  listPending(): Promise<LicenceRequestView[]>;
  countPending(): Promise<number>;
  getRequest(id: number): Promise<LicenceRequestView | null>;
  getLicence(id: number): Promise<LicenceView | null>;
  listRecentUses(opts?: { providerSlug?: string; limit?: number }): Promise<FirearmUseView[]>;
}

/** One manifest problem from the latest sync's validation (pipeline/validate Problem). */
export interface PipelineProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

/**
 * What `npm start` knows about its latest sync, so a broken manifest is visible on the site
 * (the registry keeps the last good state until it is fixed).
 */
export interface PipelineStateView {
  validation: { ok: boolean; errors: PipelineProblem[] } | null;
  syncedAt: Date | null;
  error: string | null;
  /** npm start's registry connection: unreachable while it retries after losing it. */
  registry?: { reachable: boolean; since: Date | null; reason: string | null };
}

export interface SiteLocals {
  /** The latest sync by `npm start`, when the site runs under it; null otherwise. */
  pipelineState: PipelineStateView | null;
  db: Queryable;
  vault: VaultPort;
  approvals: ApprovalsPort;
  licences: LicencesPort;
  /** OAuth connect's one-time states. */
  oauth: OAuthPort;
  /** The operator's session (the OAuth state is bound to it); never rendered. */
  sessionId: string;
  /** Who the registry_events rows name: the operator running the site. */
  actor: string;
  /** A fresh CSRF token for forms rendered by this request. */
  csrfToken: string;
  log: (line: string) => void;
}
