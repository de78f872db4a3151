/**
 * Who our comments are written by: the identity of the token pr-comment holds.
 *
 * - A personal access token (or a user-to-server token) says who it is: `GET /user` answers its login and id.
 * - An installation token cannot: `GET /user` answers 403 "Resource not accessible by integration".
 *   That is the Actions job token (GITHUB_TOKEN), whose comments are written by `github-actions[bot]`,
 *   and any GitHub App's token, whose comments are written by `<app-slug>[bot]`: that login must be
 *   given (PR_COMMENT_AUTHOR), because nothing an installation token may call returns it.
 *
 * A login ending in `[bot]` cannot be taken by a person, so matching it (and the id when we know it)
 * tells our comment from another bot's or a person's that carries the same marker.
 */
import type { GitHub } from './octokit.ts';

/** The login GitHub gives the Actions job token's comments. */
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]';

export interface CommentIdentity {
  login: string;
  /** Known when the token said who it is (`GET /user`); null otherwise. */
  id: number | null;
  /** How we know: the token answered, PR_COMMENT_AUTHOR said so, or the Actions default. */
  source: 'token' | 'configured' | 'actions-default';
}

export type IdentityResult = { ok: true; identity: CommentIdentity } | { ok: false; message: string };

const statusOf = (err: unknown) => (typeof err === 'object' && err !== null && 'status' in err ? Number((err as { status: unknown }).status) : undefined);

export async function resolveIdentity(gh: GitHub, configured: string | null): Promise<IdentityResult> {
  try {
    const { data } = await gh.rest.users.getAuthenticated();
    if (configured && configured.toLowerCase() !== data.login.toLowerCase()) {
      return { ok: false, message: `PR_COMMENT_AUTHOR is "${configured}" but the token belongs to "${data.login}": unset PR_COMMENT_AUTHOR or use that account's token` };
    }
    return { ok: true, identity: { login: data.login, id: data.id, source: 'token' } };
  } catch (err) {
    const status = statusOf(err);
    if (status === 403) {
      return { ok: true, identity: configured ? { login: configured, id: null, source: 'configured' } : { login: ACTIONS_BOT_LOGIN, id: null, source: 'actions-default' } };
    }
    const why = status ? `answered ${status}` : `did not answer (${(err as Error).message.split('\n')[0]})`;
    return { ok: false, message: `GitHub ${why} when asked who the token belongs to (GET /user); check the token passed as GITHUB_TOKEN` };
  }
}

/** Whether a comment was written by this identity. Logins compare case-insensitively, as GitHub's do. */
export function writtenBy(user: { login?: string; id?: number } | null | undefined, identity: CommentIdentity): boolean {
  if (!user?.login || user.login.toLowerCase() !== identity.login.toLowerCase()) return false;
  return identity.id === null || user.id === identity.id;
}
