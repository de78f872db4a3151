/**
 * `npm run connectors -- plan [--full] [--json]`: what a sync would change in the registry. Never
 * writes. It finds the registry as sync does (options.ts locateRegistry: the database URL, else the
 * embedded registry in the data dir, reached through a running `npm start` when one holds it).
 * Without any registry, or on one with no schema yet, it plans against an empty registry and says
 * so first, loudly, and again at the end: every connector then shows as new.
 */
import { planSync } from '../../sentinel/index.ts';
import { renderPlan, renderSkipped, renderValidationFailure, renderWarnings } from '../../sentinel/render.ts';
import { formatGithubCommands } from '../../validate/index.ts';
import { escapeControl } from '../../validate/terminal-text.ts';
import { parseCommandLine } from '../command-line.ts';
import { EXIT } from '../errors.ts';
import { writeJsonLine } from '../../sentinel/plan-json.ts';
import { findRepoRoot, locateRegistry, printJson, registryFlags, withRegistry, type RegistryLocation } from '../options.ts';
import { PLAN } from '../specs.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandLine(PLAN, args);
  const flags = registryFlags(values);
  const repoRoot = findRepoRoot();
  const where = locateRegistry(flags, repoRoot);

  // planSync validates (with a registry, skipping manifests whose bytes it synced, unless --full).
  const opts = { repoRoot, fullValidation: values.full === true, log: (line: string) => process.stderr.write(`${line}\n`) };
  const outcome = where.kind === 'none' ? await planSync(opts) : await withRegistry(flags, repoRoot, ({ pool }) => planSync({ ...opts, db: pool }));
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

  const empty = plan.against_empty_registry ? emptyRegistryWords(where) : undefined;
  if (flags.json) {
    if (empty) process.stderr.write(empty.banner);
    writeJsonLine(plan, stdout);
  } else {
    process.stdout.write(`${empty?.banner ?? ''}${renderPlan(plan, { emptyRegistryNote: false })}${renderSkipped(validation, 'plan')}${empty?.reminder ?? ''}`);
  }
  return EXIT.ok;
}

/**
 * What to say when the plan is against an empty registry: a block before it (why, where it looked,
 * what to do) and one line after it, so neither the top nor the bottom of a long plan misleads.
 */
export function emptyRegistryWords(where: RegistryLocation): { banner: string; reminder: string } {
  const bar = '='.repeat(100);
  const lines =
    where.kind === 'none'
      ? [
          'NO REGISTRY FOUND: this plan compares the repository with an EMPTY registry, so every connector and',
          'catalogue entry below shows as new. It is not what a sync of your registry would change.',
          `Looked for: --database-url or DATABASE_URL (not set); an embedded registry in ${where.dataDir}`,
          '(none there, and no npm start holding that data dir).',
          'To plan against your registry: run plan in the repository where npm start runs (same data dir),',
          'or pass --data-dir DIR (or set CONNECTORS_DATA_DIR) or --database-url URL.',
        ]
      : [
          `EMPTY REGISTRY: ${where.kind === 'url' ? 'the database at --database-url / DATABASE_URL' : `the embedded registry in ${where.dataDir}`} has no registry`,
          'schema yet (nothing was ever synced to it), so every connector and catalogue entry below shows as new.',
          'If you expected a synced registry, check --database-url / DATABASE_URL and --data-dir.',
        ];
  const reason = where.kind === 'none' ? 'no registry found' : 'the registry has no schema yet';
  return {
    banner: `${[bar, ...lines, bar].map(escapeControl).join('\n')}\n\n`,
    reminder: `${escapeControl(`Reminder: planned against an EMPTY registry (${reason}): everything above shows as new.`)}\n`,
  };
}

const stdout = (text: string) => process.stdout.write(text);
