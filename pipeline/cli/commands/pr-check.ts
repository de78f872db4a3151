/**
 * `npm run connectors -- pr-check`: the pull-request check (see pipeline/github/pr-check.ts).
 * Reads the environment once, wires the real edges, returns the exit code:
 * 0 valid (warnings allowed), 1 invalid, after annotating, summarising and commenting.
 */
import { formatGithubCommands, formatHuman, validateRepo } from '../../validate/index.ts';
import { actionsIO } from '../../github/actions-io.ts';
import { changedFiles } from '../../github/changed-files.ts';
import { readActionsContext } from '../../github/context.ts';
import { createGitHub } from '../../github/octokit.ts';
import { runPrCheck } from '../../github/pr-check.ts';
import { planAgainstRegistry } from '../../github/registry-plan.ts';
import { InputError, UsageError } from '../errors.ts';

export async function run(args: string[]): Promise<number> {
  if (args.length) throw new UsageError(`pr-check takes no arguments (got "${args.join(' ')}"); it reads the GitHub Actions environment.`);
  const read = await readActionsContext(process.env, process.cwd());
  if (!read.ok) throw new InputError(read.message);
  const context = read.context;
  const io = actionsIO();

  const result = await runPrCheck({
    context,
    io,
    changedFiles: (base, head) => changedFiles(context.repoRoot, base, head),
    validate: (paths) => validateRepo({ repoRoot: context.repoRoot, paths }),
    plan: (full) => planAgainstRegistry(context.registryUrl, full),
    github: context.token ? createGitHub({ token: context.token, apiUrl: context.apiUrl, log: (line) => io.print(line) }) : null,
    annotations: (r) => formatGithubCommands(r),
    human: (r) => formatHuman(r),
  });
  return result.exitCode;
}
