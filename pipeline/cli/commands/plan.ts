/**
 * `npm run connectors -- plan [--json]`: what a sync would change in the registry. Never writes:
 * without a registry schema (or without any embedded registry yet) it plans against an empty one.
 */
import { computePlan, emptySnapshot, planSync } from '../../sentinel/index.ts';
import { renderPlan, renderSkipped, renderValidationFailure, renderWarnings } from '../../sentinel/render.ts';
import type { Plan } from '../../sentinel/types.ts';
import { formatGithubCommands, validateRepo } from '../../validate/index.ts';
import type { ValidationResult } from '../../validate/types.ts';
import { EXIT, UsageError } from '../errors.ts';
import { noRegistryYet, parseCommandArgs, printJson, findRepoRoot, withRegistry } from '../options.ts';

const USAGE = 'plan [--full] [--json] [--database-url URL] [--data-dir DIR]';

export async function run(args: string[]): Promise<number> {
  const { flags, values, positionals } = parseCommandArgs(args, USAGE, { full: { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`plan takes no arguments (got "${positionals.join(' ')}").\nUsage: npm run connectors -- ${USAGE}`);
  const repoRoot = findRepoRoot();

  // With a registry, planSync validates (skipping manifests whose bytes it synced, unless --full).
  const outcome = noRegistryYet(flags, repoRoot)
    ? await planWithoutRegistry(repoRoot)
    : await withRegistry(flags, repoRoot, ({ pool }) => planSync({ db: pool, repoRoot, fullValidation: values.full === true }));
  const { validation, plan } = outcome;
  if (!validation.ok || !plan) {
    if (flags.json) printJson({ ok: false, checked: validation.checked, errors: validation.errors, warnings: validation.warnings });
    else {
      if (process.env.GITHUB_ACTIONS === 'true') process.stdout.write(formatGithubCommands(validation).map((l) => `${l}\n`).join(''));
      process.stdout.write(renderValidationFailure(validation, 'plan'));
    }
    return EXIT.failed;
  }
  process.stderr.write(renderWarnings(validation));

  if (flags.json) printJson(plan);
  else process.stdout.write(`${renderPlan(plan)}${renderSkipped(validation, 'plan')}`);
  return EXIT.ok;
}

async function planWithoutRegistry(repoRoot: string): Promise<{ validation: ValidationResult; plan?: Plan }> {
  const validation = await validateRepo({ repoRoot });
  return validation.ok ? { validation, plan: computePlan(validation, emptySnapshot()) } : { validation };
}
