/**
 * What one pr-check run found: the input of the pure renderers (comment, summary, outputs).
 */
import type { Plan } from '../sentinel/types.ts';
import type { Problem } from '../validate/types.ts';

/** The hidden marker that identifies the sticky comment. */
export const COMMENT_MARKER = '<!-- connector-factory:registry-plan -->';

export interface CheckReport {
  validation: { ok: boolean; checked: number; errors: Problem[]; warnings: Problem[] };
  /** What was validated: everything (catalogue or template changed, or no diff) or the touched connectors. */
  scope: { all: boolean; reason: string; paths: string[] };
  /** The plan, or null when none could be computed (planError says why). */
  plan: Plan | null;
  planError: string | null;
  /** Whether a registry was configured (REGISTRY_DATABASE_URL); the plan says whether it was empty. */
  registryConfigured: boolean;
  /** Where the run happened, for the footer; null outside Actions. */
  run: { sha: string; url: string | null } | null;
}
