/**
 * The sticky PR comment: find ours (our marker, written by our identity) across every page, update
 * it in place, create it only when there is none. Never two, and never someone else's.
 */
import { writtenBy, type CommentIdentity } from './identity.ts';
import type { GitHub } from './octokit.ts';
import { COMMENT_MARKER } from './report.ts';

export type CommentResult =
  | { status: 'created' | 'updated'; id: number; url: string }
  /** Not posted: the token may not write to the PR (403) or the PR is gone (404). */
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
  user: { login?: string; id?: number; type?: string } | null;
}

/**
 * Ours: starts with the marker and was written by our identity. Anyone, person or bot, can post a
 * comment that starts with the marker; updating theirs would let its author edit what reviewers
 * take for the pipeline's plan afterwards, so only our own counts and theirs is left alone.
 */
export function isStickyComment(c: IssueComment, identity: CommentIdentity): boolean {
  return (c.body ?? '').startsWith(COMMENT_MARKER) && writtenBy(c.user, identity);
}

async function findSticky(gh: GitHub, t: CommentTarget, identity: CommentIdentity): Promise<IssueComment | undefined> {
  // paginate follows the Link header over every page (100 per page, the most GitHub allows).
  const all = (await gh.paginate(gh.rest.issues.listComments, {
    owner: t.owner,
    repo: t.repo,
    issue_number: t.issueNumber,
    per_page: 100,
  })) as IssueComment[];
  return all.find((c) => isStickyComment(c, identity));
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'status' in err ? Number((err as { status: unknown }).status) : undefined;
}

/**
 * Creates or updates the sticky comment of `identity` (the token's, see identity.ts). 403 and 404
 * (the job lacks pull-requests: write, the PR is gone) come back as `skipped`; any other failure throws.
 */
export async function upsertStickyComment(gh: GitHub, target: CommentTarget, body: string, identity: CommentIdentity): Promise<CommentResult> {
  if (!body.startsWith(COMMENT_MARKER)) throw new Error('the sticky comment body must start with its marker');
  const base = { owner: target.owner, repo: target.repo };
  try {
    const existing = await findSticky(gh, target, identity);
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
      const landed = await findSticky(gh, target, identity);
      if (landed) return { status: 'created', id: landed.id, url: landed.html_url };
      const { data } = await gh.rest.issues.createComment({ ...base, issue_number: target.issueNumber, body });
      return { status: 'created', id: data.id, url: data.html_url };
    }
  } catch (err) {
    const status = statusOf(err);
    if (status === 403 || status === 404) {
      return {
        status: 'skipped',
        reason: `GitHub answered ${status} to the PR comment (the job needs pull-requests: write, and the PR must still exist); the plan is in the job summary instead`,
      };
    }
    throw err;
  }
}
