import type { Catalog, Manifest } from '../schema/manifest.ts';

/** One problem in one file. `file` is relative to the repository root; line and column are 1-based. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** The field path, e.g. `scopes[1].firearm_type`; empty for a whole-file problem. */
  path: string;
  /** Stable machine code, e.g. `unknown_firearm_type`, `duplicate_key`, `todo_placeholder`. */
  code: string;
  /** What is wrong, and what to do about it. */
  message: string;
}

/** A manifest that passed every rule. */
export interface ValidConnector {
  slug: string;
  /** `connectors/<slug>/manifest.yaml`, relative to the repository root. */
  file: string;
  manifest: Manifest;
  /** manifestDigest(manifest), see pipeline/schema/digest.ts */
  digest: string;
}

export interface ValidationResult {
  ok: boolean;
  /** How many files (manifests and catalogues) were checked. */
  checked: number;
  errors: Problem[];
  warnings: Problem[];
  /** The valid manifests (all of them when ok). */
  connectors: ValidConnector[];
  /** The catalogues as read from pipeline/catalog/ (empty lists when they are invalid). */
  catalog: Catalog;
}
