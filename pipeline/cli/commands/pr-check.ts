/**
 * `npm run connectors -- pr-check`: the pull-request check (see pipeline/github/pr-check.ts), run by
 * the `pull_request` job on the PR's own code. It reads no token and no REGISTRY_DATABASE_URL, even
 * when the environment holds them: its plan is against an empty registry. It saves the PR pointers
 * to PR_CHECK_POINTERS (when set) for pr-comment. Exit code: 0 valid (warnings allowed), 1 invalid.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatHuman, validateRepo } from '../../validate/index.ts';
import { actionsIO } from '../../github/actions-io.ts';
import { annotations } from '../../github/annotations.ts';
import { changedFiles, existingPaths } from '../../github/changed-files.ts';
import { readActionsContext } from '../../github/context.ts';
import { serializePointers } from '../../github/pointers.ts';
import { runPrCheck } from '../../github/pr-check.ts';
import { planAgainstRegistry } from '../../github/registry-plan.ts';
import { parseCommandLine } from '../command-line.ts';
import { InputError } from '../errors.ts';
import { PR_CHECK } from '../specs.ts';

export async function run(args: string[]): Promise<number> {
  parseCommandLine(PR_CHECK, args);
  const read = await readActionsContext(process.env, process.cwd());
  if (!read.ok) throw new InputError(read.message);
  const context = read.context;
  const pointersFile = context.pointersFile;

  const result = await runPrCheck({
    context,
    io: actionsIO(),
    changedFiles: (base, head) => changedFiles(context.repoRoot, base, head),
    existing: (paths) => existingPaths(context.repoRoot, paths),
    validate: (paths) => validateRepo({ repoRoot: context.repoRoot, paths }),
    // Never the registry: this job runs the PR's code, so it is given no URL to read.
    plan: (full) => planAgainstRegistry(null, full),
    savePointers: pointersFile
      ? async (pointers) => {
          await mkdir(dirname(pointersFile), { recursive: true });
          await writeFile(pointersFile, serializePointers(pointers));
        }
      : null,
    annotations,
    human: (r) => formatHuman(r),
  });
  return result.exitCode;
}
