/**
 * `npm run connectors -- plan [--json]`: what a sync would change in the registry. Never writes:
 * without a registry schema (or without any embedded registry yet) it plans against an empty one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolveDataDir } from '../../registry/connect.ts';
import { infoPath } from '../../registry/info-file.ts';
import { computePlan, emptySnapshot, planSync } from '../../sentinel/index.ts';
import { renderPlan, renderValidationFailure, renderWarnings } from '../../sentinel/render.ts';
import type { Plan } from '../../sentinel/types.ts';
import { formatGithubCommands, validateRepo } from '../../validate/index.ts';
import { EXIT, UsageError } from '../errors.ts';
import { parseCommandArgs, printJson, resolveRepoRoot, withRegistry, type RegistryFlags } from '../options.ts';

const USAGE = 'plan [--json] [--database-url URL] [--data-dir DIR]';

export async function run(args: string[]): Promise<number> {
  const { flags, positionals } = parseCommandArgs(args, USAGE);
  if (positionals.length) throw new UsageError(`plan takes no arguments (got "${positionals.join(' ')}").\nUsage: npm run connectors -- ${USAGE}`);
  const repoRoot = resolveRepoRoot();

  const validation = await validateRepo({ repoRoot });
  if (!validation.ok) {
    if (flags.json) printJson({ ok: false, checked: validation.checked, errors: validation.errors, warnings: validation.warnings });
    else {
      if (process.env.GITHUB_ACTIONS === 'true') process.stdout.write(formatGithubCommands(validation).map((l) => `${l}\n`).join(''));
      process.stdout.write(renderValidationFailure(validation, 'plan'));
    }
    return EXIT.failed;
  }
  process.stderr.write(renderWarnings(validation));

  const plan = noRegistryYet(flags, repoRoot)
    ? computePlan(validation, emptySnapshot())
    : await withRegistry(flags, repoRoot, async ({ pool }) => (await planSync({ db: pool, repoRoot, validate: async () => validation })).plan as Plan);

  if (flags.json) printJson(plan);
  else process.stdout.write(renderPlan(plan));
  return EXIT.ok;
}

/** No database URL and no embedded registry on disk: nothing to read, and plan must not create one. */
function noRegistryYet(flags: RegistryFlags, repoRoot: string): boolean {
  if (flags.databaseUrl ?? process.env.DATABASE_URL) return false;
  const dataDir = resolveDataDir(flags.dataDir, repoRoot);
  return !existsSync(path.join(dataDir, 'registry')) && !existsSync(infoPath(dataDir));
}
