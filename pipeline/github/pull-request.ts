/**
 * The PR pointers checked against GitHub: PR N exists in this repository and its head is the
 * commit the pointers name. Only then does pr-comment read that commit, and only as data. GitHub's
 * answer also gives the base commit to diff against, so a forged base cannot narrow what is shown.
 */
import type { GitHub } from './octokit.ts';
import type { PrPointers } from './pointers.ts';
import { isCommitSha } from './pointers.ts';

export interface VerifiedPullRequest {
  number: number;
  headSha: string;
  baseSha: string;
  state: string;
}

export type VerifyResult = { ok: true; pr: VerifiedPullRequest; notes: string[] } | { ok: false; message: string };

const statusOf = (err: unknown) => (typeof err === 'object' && err !== null && 'status' in err ? Number((err as { status: unknown }).status) : undefined);

export async function verifyPullRequest(gh: GitHub, repository: { owner: string; repo: string }, pointers: PrPointers): Promise<VerifyResult> {
  const where = `${repository.owner}/${repository.repo}#${pointers.pr}`;
  let data: { number: number; state: string; head: { sha: string }; base: { sha: string } };
  try {
    ({ data } = await gh.rest.pulls.get({ ...repository, pull_number: pointers.pr }));
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) return { ok: false, message: `${where} is not a pull request GitHub knows; nothing was read or posted` };
    return { ok: false, message: `GitHub ${status ? `answered ${status}` : 'did not answer'} when asked for ${where} (${(err as Error).message.split('\n')[0]}); nothing was posted` };
  }
  if (!isCommitSha(data.head?.sha) || !isCommitSha(data.base?.sha)) return { ok: false, message: `GitHub's answer for ${where} has no head or base commit` };
  if (data.head.sha !== pointers.head) {
    return {
      ok: false,
      message: `${where}'s head is ${data.head.sha}, not ${pointers.head}: the PR moved on since the check ran (a newer run will comment), or the pointers were forged. Nothing was read or posted`,
    };
  }
  const notes =
    pointers.base && pointers.base !== data.base.sha
      ? [`The pointers name base ${pointers.base.slice(0, 12)}, GitHub says ${data.base.sha.slice(0, 12)}: diffing against GitHub's.`]
      : [];
  return { ok: true, pr: { number: data.number, headSha: data.head.sha, baseSha: data.base.sha, state: data.state }, notes };
}
