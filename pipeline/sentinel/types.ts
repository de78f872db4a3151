/**
 * The registry plan: what a sync will change. Computed by a pure function of the valid manifests,
 * the catalogues and the registry's current rows; printed by `plan`, applied by `sync`, rendered
 * into the PR comment and job summary by pipeline/github.
 */
import type { Aggregation, AuthMode, ScopeAccess } from '../schema/manifest.ts';

export type ProviderStatus = 'draft' | 'approved' | 'changed' | 'retired';

export interface ScopeRow {
  name: string;
  description: string;
  requires_firearm: boolean;
  firearm_type: string | null;
  /** scopes[].access; null when the manifest leaves it out ("may write"). */
  access: ScopeAccess | null;
}
export interface KpiMappingRow {
  raw_metric: string;
  core_kpi: string;
  aggregation: Aggregation;
}
export interface SecretRow {
  key_name: string;
  label: string;
  description: string | null;
  optional: boolean;
}
export interface CatalogRow {
  id: string;
  label: string;
}

/** Rows added, changed (before and after) and removed for one kind of child row. */
export interface RowChanges<T> {
  added: T[];
  changed: { before: T; after: T }[];
  removed: T[];
}

export type ProviderChangeKind = 'added' | 'changed' | 'retired' | 'revived';

export interface ProviderChange {
  slug: string;
  display_name: string;
  auth_mode: AuthMode;
  kind: ProviderChangeKind;
  status_before: ProviderStatus | null;
  status_after: ProviderStatus;
  /** The registry's manifest digest before (null when added) and after the sync (the one to approve). */
  digest_before: string | null;
  digest_after: string;
  /** Top-level manifest fields whose value changed (display_name, description, auth_mode, docs_url). */
  fields_changed: string[];
  scopes: RowChanges<ScopeRow>;
  /** Added or changed mappings need (re-)approval by an operator. */
  kpi_mappings: RowChanges<KpiMappingRow>;
  secrets: RowChanges<SecretRow>;
}

export interface Plan {
  /** True when planned against an empty registry (no database, or one without the schema). */
  against_empty_registry: boolean;
  /** Every provider that changes, in slug order; unchanged ones are only counted. */
  providers: ProviderChange[];
  unchanged: number;
  catalog: {
    firearm_types: RowChanges<CatalogRow>;
    core_kpis: RowChanges<CatalogRow>;
  };
  counts: PlanCounts;
}

export interface PlanCounts {
  providers: { added: number; changed: number; unchanged: number; retired: number; revived: number };
  scopes: { added: number; changed: number; removed: number };
  kpi_mappings: { added: number; changed: number; removed: number };
  secrets: { added: number; changed: number; removed: number };
  firearm_types: { added: number; changed: number; removed: number };
  core_kpis: { added: number; changed: number; removed: number };
}

export interface SyncResult {
  plan: Plan;
  /** The registry_syncs row id, or null for a dry run. */
  sync_id: number | null;
  outcome: 'applied' | 'noop';
  /** True for `sync --dry-run`: the plan was computed under the lock and nothing was written. */
  dry_run?: boolean;
  commit_sha?: string | null;
  /** connectors/ or pipeline/catalog/ had uncommitted changes when it ran (null: not known). */
  worktree_dirty?: boolean | null;
  actor?: string;
  /** Providers whose remembered source sha256 was brought up to date (bytes changed, meaning not). */
  source_hashes_updated?: number;
  /** Providers whose file list (connector_files) this sync recorded: their folder's bytes changed. */
  files_recorded?: number;
  /** Registry tables ANALYZEd after the commit (a sync that changed many rows refreshes the statistics). */
  analyzed?: string[];
}

/** One provider as the sync first reads it: cheap columns only, for every row in the registry. */
export interface ProviderHead {
  slug: string;
  display_name: string;
  auth_mode: AuthMode;
  status: ProviderStatus;
  manifest_digest: string;
  approved_digest: string | null;
  /** sha256 of the folder's files as last synced (null: not known; absent in hand-built snapshots). */
  source_sha256?: string | null;
  /** git tree id of the folder as last synced (null: synced from uncommitted work, outside git, or not known). */
  source_tree?: string | null;
}

/** The rest of a provider, read only for those whose digest changed or that come back. */
export interface ProviderDetail {
  description: string | null;
  docs_url: string | null;
  scopes: ScopeRow[];
  kpi_mappings: KpiMappingRow[];
  secrets: SecretRow[];
}

export interface CatalogEntrySnapshot {
  id: string;
  label: string;
  description: string;
  unit?: string | null;
  retired: boolean;
}

/** What the registry holds now, as far as the plan needs it. */
export interface RegistrySnapshot {
  /** False when the database has no registry schema yet: plan against an empty registry. */
  has_schema: boolean;
  providers: ProviderHead[];
  /** Keyed by slug; present for every provider `providersNeedingDetail` names. */
  details: Record<string, ProviderDetail>;
  firearm_types: CatalogEntrySnapshot[];
  core_kpis: CatalogEntrySnapshot[];
}
