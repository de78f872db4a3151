/**
 * The registry plan: what a sync will change. Computed by a pure function of the valid manifests,
 * the catalogues and the registry's current rows; printed by `plan`, applied by `sync`, rendered
 * into the PR comment and job summary by pipeline/github.
 */
import type { Aggregation, AuthMode, Manifest, ScopeAccess } from '../schema/manifest.ts';
import type { FolderFile } from '../validate/connector-folder.ts';

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
/** A firearm_types row as a sync writes it (and, with `unit`, a core_kpis row). */
export interface CatalogRow {
  id: string;
  label: string;
  description: string;
}
export interface CoreKpiRow extends CatalogRow {
  unit: string | null;
}

/** The connector_providers row a sync writes, column by column (approval and timestamps are the registry's). */
export interface ProviderRow {
  provider_slug: string;
  display_name: string;
  description: string | null;
  auth_mode: AuthMode;
  docs_url: string | null;
  status: ProviderStatus;
  manifest_path: string;
  manifest_digest: string;
  /** The parsed manifest, stored as jsonb. */
  manifest: Manifest;
  /** sha256 of the folder's files (null: validated from text, not from a folder). */
  source_sha256: string | null;
  /** The folder's git tree id when git vouched for exactly these bytes, else null. */
  source_tree: string | null;
}

/**
 * Everything a sync writes for one provider: its row, and every child row in manifest order (the
 * position column is the index). A child row of the provider not listed here is deleted: the
 * `removed` rows of its change.
 */
export interface ProviderWrites {
  provider: ProviderRow;
  scopes: ScopeRow[];
  kpi_mappings: KpiMappingRow[];
  secrets: SecretRow[];
}

/** Rows added, changed (before and after) and removed for one kind of child row. */
export interface RowChanges<T> {
  added: T[];
  changed: { before: T; after: T }[];
  removed: T[];
}

export type ProviderChangeKind = 'added' | 'changed' | 'retired' | 'revived';

/**
 * One provider the sync changes: what a reviewer reads (the status, the fields and rows that
 * differ) and what apply writes (`writes`). A retired provider writes nothing but its status: its
 * rows stay as a tombstone.
 */
export type ProviderChange =
  | (ProviderChangeFields & { kind: 'added' | 'changed' | 'revived'; writes: ProviderWrites })
  | (ProviderChangeFields & { kind: 'retired'; writes: null });

interface ProviderChangeFields {
  slug: string;
  display_name: string;
  auth_mode: AuthMode;
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
  /** Added and changed entries are upserted as they are here; removed ones are retired, not deleted. */
  catalog: {
    firearm_types: RowChanges<CatalogRow>;
    core_kpis: RowChanges<CoreKpiRow>;
  };
  /**
   * Bookkeeping of providers the plan leaves alone, so the next sync can skip them: the bytes (a
   * comment or a reformat changed them, not the meaning) or the git tree id it remembers moved.
   */
  source_updates: SourceUpdate[];
  /**
   * The file lists (connector_files) the sync records: every provider it writes, and those whose
   * folder bytes changed while their digest did not. The texts of small source and document
   * files (`text: true`) are read from the folder when written.
   */
  file_lists: FileList[];
  counts: PlanCounts;
}

/** connector_providers.source_sha256 and source_tree of one provider, as the sync leaves them. */
export interface SourceUpdate {
  slug: string;
  source_sha256: string;
  source_tree: string | null;
}

export interface FileList {
  slug: string;
  files: FolderFile[];
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
