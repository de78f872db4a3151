/**
 * `npm run connectors -- sync [--dry-run] [--full] [--json]`: brings the registry in line with the
 * repository (see pipeline/sentinel/sync.ts). Invalid input anywhere: no registry content is written
 * (only the record of the failed sync, on a registry that has the schema), exit 1.
 * Manifests whose bytes the registry already synced are not re-validated unless --full.
 */
import { runSync } from '../../sentinel/index.ts';
import { renderSkipped, renderSyncResult, renderValidationFailure, renderWarnings } from '../../sentinel/render.ts';
import type { SyncOutcome } from '../../sentinel/sync.ts';
import { formatGithubCommands, validateRepo } from '../../validate/index.ts';
import type { ValidationResult } from '../../validate/types.ts';
import { parseCommandLine } from '../command-line.ts';
import { EXIT } from '../errors.ts';
import { writeJsonLine } from '../../sentinel/plan-json.ts';
import { noRegistryYet, printJson, findRepoRoot, registryFlags, withRegistry } from '../options.ts';
import { SYNC } from '../specs.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandLine(SYNC, args);
  const flags = registryFlags(values);
  const repoRoot = findRepoRoot();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const base = { repoRoot, dryRun: values['dry-run'] === true, fullValidation: values.full === true, log };

  let outcome: SyncOutcome;
  if (noRegistryYet(flags, repoRoot)) {
    // No registry to compare with, so nothing to skip: validate first, and an invalid repository
    // does not even create the embedded registry.
    const validation = await validateRepo({ repoRoot });
    if (!validation.ok) return failed(validation, flags.json);
    outcome = await withRegistry(flags, repoRoot, ({ pool }) => runSync({ ...base, db: pool, validate: async () => validation }));
  } else {
    // runSync reads what the registry synced last, validates (skipping unchanged manifests) and
    // writes nothing, not even migrations, when anything is invalid.
    outcome = await withRegistry(flags, repoRoot, ({ pool }) => runSync({ ...base, db: pool }));
  }
  const { validation, result } = outcome;
  if (!validation.ok) return failed(validation, flags.json, outcome.failed_sync_id);
  process.stderr.write(renderWarnings(validation));
  if (!result) throw new Error('sync: validation passed but no result came back (a bug: please report it)');
  if (flags.json) writeJsonLine(result, stdout);
  else process.stdout.write(`${renderSyncResult(result)}${renderSkipped(validation, 'sync')}`);
  return EXIT.ok;
}

function failed(validation: ValidationResult, json: boolean, failedSyncId?: number | null): number {
  const recorded = failedSyncId ? { failed_sync_id: failedSyncId } : {};
  if (json) printJson({ ok: false, checked: validation.checked, errors: validation.errors, warnings: validation.warnings, ...recorded });
  else {
    if (process.env.GITHUB_ACTIONS === 'true') process.stdout.write(formatGithubCommands(validation).map((l) => `${l}\n`).join(''));
    process.stdout.write(renderValidationFailure(validation, 'sync', failedSyncId));
  }
  return EXIT.failed;
}

const stdout = (text: string) => process.stdout.write(text);
