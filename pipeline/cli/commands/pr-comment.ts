/**
 * `npm run connectors -- pr-comment --pr N --head SHA [--base SHA]`: the plan comment (see
 * pipeline/github/pr-comment.ts), run by the `workflow_run` job on the default branch's code.
 * The flags come from pr-check's artifact and are untrusted: malformed ones are a usage error
 * (exit 2); ones that GitHub contradicts are refused (exit 1). Exit 0 when the comment was written
 * and the PR is valid, 1 otherwise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRepo } from '../../validate/index.ts';
import { actionsIO } from '../../github/actions-io.ts';
import { changedFiles, existingPaths } from '../../github/changed-files.ts';
import { readCommentContext } from '../../github/comment-context.ts';
import { copyEntries, fetchCommits, listHeadTree } from '../../github/head-tree.ts';
import { resolveIdentity } from '../../github/identity.ts';
import { createGitHub } from '../../github/octokit.ts';
import { parsePointers } from '../../github/pointers.ts';
import { runPrComment, type PrCommentDeps } from '../../github/pr-comment.ts';
import { verifyPullRequest } from '../../github/pull-request.ts';
import { planAgainstRegistry } from '../../github/registry-plan.ts';
import { parseCommandLine, usageLine } from '../command-line.ts';
import { InputError, UsageError } from '../errors.ts';
import { PR_COMMENT } from '../specs.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandLine(PR_COMMENT, args);
  const parsed = parsePointers({ pr: values.pr, head: values.head, base: values.base });
  if (!parsed.ok) throw new UsageError(`${parsed.message}.\n${usageLine(PR_COMMENT)}`);
  const read = await readCommentContext(process.env, process.cwd());
  if (!read.ok) throw new InputError(read.message);
  const context = read.context;
  const pointers = parsed.pointers;
  const io = actionsIO();
  const git = { cwd: context.repoRoot, auth: { serverUrl: context.serverUrl, token: context.token } };

  const copyHead: PrCommentDeps['copyHead'] = async (head, base) => {
    const fetched = await fetchCommits(git, pointers.pr, head, base);
    if (!fetched.ok) return fetched;
    const listed = await listHeadTree(git, head);
    if (!listed.ok) return listed;
    const root = await mkdtemp(join(context.tempDir ?? tmpdir(), 'connector-pr-head-'));
    const dispose = () => rm(root, { recursive: true, force: true });
    const copied = await copyEntries(git, listed.entries, root);
    if (!copied.ok) {
      await dispose();
      return copied;
    }
    io.print(`Read ${copied.files} files of the PR head ${head.slice(0, 12)} as data (nothing from it is run).`);
    return { ok: true, copy: { root, baseAvailable: fetched.baseAvailable, dispose } };
  };

  const result = await runPrComment({
    context,
    pointers,
    github: createGitHub({ token: context.token, apiUrl: context.apiUrl, log: (line) => io.print(line) }),
    io,
    verify: (gh, p) => verifyPullRequest(gh, context.repository, p),
    identity: (gh) => resolveIdentity(gh, context.commentAuthor),
    copyHead,
    changedFiles: (base, head) => changedFiles(context.repoRoot, base, head),
    existing: (root, paths) => existingPaths(root, paths),
    validate: (root, paths) => validateRepo({ repoRoot: root, paths }),
    plan: (full, root) => planAgainstRegistry(context.registryUrl, full, root),
  });
  return result.exitCode;
}
