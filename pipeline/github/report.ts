/**
 * What one check of a PR found: the input of the pure renderers (comment, summary, outputs).
 */
import type { Plan } from '../sentinel/types.ts';
import type { Problem } from '../validate/types.ts';

/** The hidden marker that identifies the sticky comment (with its author: see comment.ts). */
export const COMMENT_MARKER = '<!-- connector-factory:registry-plan -->';

/**
 * Which registry the plan could use:
 * - `withheld`: pr-check, which runs the PR's own code and so holds no secret: an empty registry on purpose;
 * - `unconfigured`: pr-comment without REGISTRY_DATABASE_URL: an empty registry;
 * - `configured`: pr-comment with REGISTRY_DATABASE_URL (the plan says whether it had a schema yet).
 */
export type RegistryAccess = 'withheld' | 'unconfigured' | 'configured';

/** Which command wrote the report, for the footer. */
export type Reporter = 'pr-check' | 'pr-comment';

export interface CheckReport {
  validation: { ok: boolean; checked: number; checked_files?: { manifests: number; catalogues: number }; errors: Problem[]; warnings: Problem[] };
  /** What was validated: everything (catalogue or template changed, or no diff) or the touched connectors. */
  scope: { all: boolean; reason: string; paths: string[] };
  /** The plan, or null when none could be computed (planError says why). */
  plan: Plan | null;
  planError: string | null;
  registry: RegistryAccess;
  reporter: Reporter;
  /** The commit checked and the run's page, for the footer; null outside Actions. */
  run: { sha: string; url: string | null } | null;
}
