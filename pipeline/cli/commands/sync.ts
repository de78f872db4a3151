/**
 * `npm run connectors -- sync [--dry-run] [--json]`: brings the registry in line with the
 * repository (see pipeline/sentinel/sync.ts). Invalid input anywhere: nothing is written, exit 1.
 */
import { runSync } from '../../sentinel/index.ts';
import { renderSyncResult, renderValidationFailure, renderWarnings } from '../../sentinel/render.ts';
import { formatGithubCommands, validateRepo } from '../../validate/index.ts';
import { EXIT, UsageError } from '../errors.ts';
import { parseCommandArgs, printJson, resolveRepoRoot, withRegistry } from '../options.ts';

const USAGE = 'sync [--dry-run] [--json] [--database-url URL] [--data-dir DIR]';

export async function run(args: string[]): Promise<number> {
  const { flags, values, positionals } = parseCommandArgs(args, USAGE, { 'dry-run': { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`sync takes no arguments (got "${positionals.join(' ')}").\nUsage: npm run connectors -- ${USAGE}`);
  const repoRoot = resolveRepoRoot();

  // Validate before opening the registry: an invalid repository must not even run migrations.
  const validation = await validateRepo({ repoRoot });
  if (!validation.ok) {
    if (flags.json) printJson({ ok: false, checked: validation.checked, errors: validation.errors, warnings: validation.warnings });
    else {
      if (process.env.GITHUB_ACTIONS === 'true') process.stdout.write(formatGithubCommands(validation).map((l) => `${l}\n`).join(''));
      process.stdout.write(renderValidationFailure(validation, 'sync'));
    }
    return EXIT.failed;
  }
  process.stderr.write(renderWarnings(validation));

  const { result } = await withRegistry(flags, repoRoot, ({ pool }) =>
    runSync({
      db: pool,
      repoRoot,
      dryRun: values['dry-run'] === true,
      validate: async () => validation,
      log: (line) => process.stderr.write(`${line}\n`),
    }),
  );
  if (!result) throw new Error('sync: validation passed but no result came back (a bug: please report it)');
  if (flags.json) printJson(result);
  else process.stdout.write(renderSyncResult(result));
  return EXIT.ok;
}
