/**
 * What the pages need from the outside world, handed in by site/server.ts through Astro `locals`.
 * Pages depend on these shapes only, never on pg, the socket or the registry's modules directly,
 * so the Astro build stays independent of how the server wires them.
 */

/** The slice of pg.Pool / pg.Client the pages use. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export type VaultFailure = { ok: false; code: string; message: string };
export type VaultResult<T> = ({ ok: true } & T) | VaultFailure;

/** vault-agent over its unix socket. Never returns a value, only names and times. */
export interface VaultPort {
  list(): Promise<VaultResult<{ secrets: { name: string; updated_at: string }[] }>>;
  put(name: string, value: string): Promise<VaultResult<{ name: string; updated_at: string }>>;
}

export type ApprovalResult = { ok: true } | { ok: false; code: string; message: string };

/** Approvals write the registry row and a registry_events record in one step. */
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
}

export interface SiteLocals {
  /** The latest sync by `npm start`, when the site runs under it; null otherwise. */
  pipelineState: PipelineStateView | null;
  db: Queryable;
  vault: VaultPort;
  approvals: ApprovalsPort;
  /** Who the registry_events rows name: the operator running the site. */
  actor: string;
  /** A fresh CSRF token for forms rendered by this request. */
  csrfToken: string;
  log: (line: string) => void;
}
