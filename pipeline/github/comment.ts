/**
 * The sticky PR comment: find ours by its marker across every page, update it in place, create it
 * only when there is none. Never two.
 */
import type { GitHub } from './octokit.ts';
import { COMMENT_MARKER } from './report.ts';

export type CommentResult =
  | { status: 'created' | 'updated'; id: number; url: string }
  /** Not posted, and that is fine (fork PR, token without write access): the caller prints a notice. */
  | { status: 'skipped'; reason: string };

export interface CommentTarget {
  owner: string;
  repo: string;
  issueNumber: number;
}

interface IssueComment {
  id: number;
  body?: string | null;
  html_url: string;
  user: { type?: string } | null;
}

/**
 * Ours: starts with the marker and was written by a bot (the Actions token's identity). Anyone
 * can post a comment that starts with the marker; updating theirs would let them edit what
 * reviewers take for the pipeline's plan, so a human's comment never counts.
 */
export function isStickyComment(c: IssueComment): boolean {
  return (c.body ?? '').startsWith(COMMENT_MARKER) && c.user?.type === 'Bot';
}

async function findSticky(gh: GitHub, t: CommentTarget): Promise<IssueComment | undefined> {
  // paginate follows the Link header over every page (100 per page, the most GitHub allows).
  const all = (await gh.paginate(gh.rest.issues.listComments, {
    owner: t.owner,
    repo: t.repo,
    issue_number: t.issueNumber,
    per_page: 100,
  })) as IssueComment[];
  return all.find(isStickyComment);
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'status' in err ? Number((err as { status: unknown }).status) : undefined;
}

/**
 * Creates or updates the sticky comment. 403 and 404 (read-only token on a fork PR, missing
 * permission, PR gone) come back as `skipped`; any other failure throws.
 */
export async function upsertStickyComment(gh: GitHub, target: CommentTarget, body: string): Promise<CommentResult> {
  if (!body.startsWith(COMMENT_MARKER)) throw new Error('the sticky comment body must start with its marker');
  const base = { owner: target.owner, repo: target.repo };
  try {
    const existing = await findSticky(gh, target);
    if (existing) {
      const { data } = await gh.rest.issues.updateComment({ ...base, comment_id: existing.id, body });
      return { status: 'updated', id: data.id, url: data.html_url };
    }
    try {
      const { data } = await gh.rest.issues.createComment({ ...base, issue_number: target.issueNumber, body });
      return { status: 'created', id: data.id, url: data.html_url };
    } catch (err) {
      // A 5xx on create may still have created it (the retry hook never re-sends a POST):
      // look again before trying once more, so a flaky server never leaves two comments.
      const status = statusOf(err);
      if (status === undefined || status < 500) throw err;
      const landed = await findSticky(gh, target);
      if (landed) return { status: 'created', id: landed.id, url: landed.html_url };
      const { data } = await gh.rest.issues.createComment({ ...base, issue_number: target.issueNumber, body });
      return { status: 'created', id: data.id, url: data.html_url };
    }
  } catch (err) {
    const status = statusOf(err);
    if (status === 403 || status === 404) {
      return {
        status: 'skipped',
        reason: `GitHub answered ${status} to the PR comment (a fork PR's read-only token, or the job lacks pull-requests: write); the plan is in the job summary instead`,
      };
    }
    throw err;
  }
}
