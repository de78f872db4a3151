import type { Catalog, Manifest } from '../schema/manifest.ts';
import type { FolderFile } from './connector-folder.ts';
import type { ProblemCode } from './problem-codes.ts';

/** One problem in one file. `file` is relative to the repository root; line and column are 1-based. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** The field path, e.g. `scopes[1].firearm_type`; empty for a whole-file problem. */
  path: string;
  /** Stable machine code, one per situation, from the catalogue (problem-codes.ts), e.g. `unknown_firearm_type`. */
  code: ProblemCode;
  /** What is wrong, and what to do about it. */
  message: string;
}

interface ConnectorBase {
  slug: string;
  /** `connectors/<slug>/manifest.yaml`, relative to the repository root. */
  file: string;
  /**
   * The connector digest (pipeline/schema/digest.ts connectorDigest): the parsed manifest and every
   * other file of the folder. Validated from text alone, it is the manifest digest.
   */
  digest: string;
  /**
   * sha256 (hex) of the folder's files by path and raw bytes (connector-folder.ts folderSourceSha256);
   * absent when validated from text, not from a folder.
   */
  source_sha256?: string;
  /** Every file of the folder the digest covers, manifest included; absent when validated from text or not read (`unread`). */
  files?: FolderFile[];
  /**
   * The folder's git tree id in HEAD when the worktree folder is exactly that (plan/sync in a git
   * checkout, pipeline/sentinel/git-folders.ts); null when it holds uncommitted work or is not in
   * HEAD; absent outside git.
   */
  source_tree?: string | null;
}

/** A manifest that was parsed and passed every rule. */
export interface ParsedConnector extends ConnectorBase {
  kind: 'parsed';
  /**
   * The parsed manifest (defaults applied). From the validator it is held as its canonical JSON and
   * parsed anew at each read (parsed-connector.ts): read it once per use and do not keep it, so
   * that a sync of many connectors holds strings, not object trees.
   */
  readonly manifest: Manifest;
}

/**
 * A manifest whose bytes are the ones the registry last synced for this slug, under the same
 * validation fingerprint (catalogues + VALIDATOR_VERSION): valid and unchanged by construction, so
 * it was not parsed. Its digest is the registry's; only plan/sync/pr-check produce these, never
 * `validate`. Nothing needs its manifest: the plan counts it unchanged.
 */
export interface UnchangedConnector extends ConnectorBase {
  kind: 'unchanged';
  manifest?: undefined;
  source_sha256: string;
  /** Not read at all: git vouched for the folder (its tree id is the registry's), so sha256, digest and tree are the registry's. */
  unread?: true;
}

/** A manifest that passed every rule, parsed or known unchanged (see `kind`). */
export type ValidConnector = ParsedConnector | UnchangedConnector;

export interface ValidationResult {
  ok: boolean;
  /** How many files (manifests and catalogues) were checked. */
  checked: number;
  /** `checked` by kind, for people ("1 manifest, 2 catalogues"); set by validateRepo. */
  checked_files?: { manifests: number; catalogues: number };
  errors: Problem[];
  warnings: Problem[];
  /** The valid manifests (all of them when ok). */
  connectors: ValidConnector[];
  /** The catalogues as read from pipeline/catalog/ (empty lists when they are invalid). */
  catalog: Catalog;
  /**
   * sha256 of what validation depends on besides each manifest's own bytes (the catalogues and
   * VALIDATOR_VERSION); set by validateRepo, absent when the catalogues are invalid.
   */
  fingerprint?: string;
  /** Manifests accepted as unchanged since the last sync without being parsed (kind 'unchanged'). */
  skipped_unchanged?: number;
}
