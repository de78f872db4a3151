/**
 * The one way a plan is made against the registry, for `plan`, `sync` (under its lock), a sync of
 * a few changed folders and a PR's plan: read the registry, check that every connector the
 * validator skipped as unchanged still is the registry's row, validate again in full when one is
 * not, refuse key names another connector owns, and compute the plan (plan.ts, pure). The callers
 * differ only in the transaction the registry is read in and whether validating again is theirs.
 */
import { validateRepo } from '../validate/index.ts';
import type { ValidationResult } from '../validate/types.ts';
import type { KnownSources } from '../validate/unchanged.ts';
import type { Queryable } from '../registry/db.ts';
import { readFolderSources, stampTrees } from './changed-folders.ts';
import { READ_ONLY, transaction, withConnection, type Db } from './connection.ts';
import type { GitFolders } from './git-folders.ts';
import { declaredKeyNames, keyConflicts, readKeyOwners, refuseKeyConflicts, type KeyOwner } from './key-owners.ts';
import { computePlan, emptySnapshot, leaveOut, unchangedStillHolds, type CheckedConnectors } from './plan.ts';
import { readRegistryMemory, readSnapshot, type ReadHeads, type RegistryMemory } from './snapshot.ts';
import type { Plan, RegistrySnapshot } from './types.ts';

/**
 * `known`: what the registry remembers of the last sync; a validator may accept manifests whose
 * bytes it synced as unchanged without parsing them (validateRepo does). Absent: validate in full.
 */
export type Validate = (args: { repoRoot: string; known?: KnownSources }) => Promise<ValidationResult>;

/** Runs `fn` with the registry in a transaction of the caller's: each call may be a transaction of its own. */
export type RegistryRead = <T>(fn: (client: Queryable) => Promise<T>) => Promise<T>;

export interface PlanArgs {
  /** The validation to plan; its valid connectors are planned even when it failed elsewhere (a PR's plan). */
  validation: ValidationResult;
  /** The tree validated: a key name another connector owns is reported at its line there. */
  repoRoot: string;
  /** The registry. Absent: plan against an empty one (no database, or none yet). */
  read?: RegistryRead;
  /** The provider rows read before validating (readRegistryMemory), used again when nothing was committed since. */
  heads?: ReadHeads;
  /**
   * Validates every folder again, for when a connector skipped as unchanged no longer matches the
   * registry's row (another sync wrote between the validation and the read). Absent: no plan then.
   */
  revalidate?: () => Promise<ValidationResult>;
  /**
   * Read only these providers' rows (a sync of a few changed folders: the validation holds their
   * connectors alone). `live`: how many providers not retired the registry holds in all (its
   * baseline says); those beyond the rows read are counted unchanged. Nothing is validated again:
   * when a row moved, or the count does not add up, there is no plan.
   */
  only?: { slugs: string[]; live: number };
}

export type Planned =
  | {
      /** The caller's validation, or the one made again; failed with a problem per key name another connector owns. */
      validation: ValidationResult;
      /** The plan of the valid connectors, those claiming another connector's key name left out: applied only when `validation.ok`. */
      plan: Plan;
      /** What the plan was computed against. */
      snapshot: RegistrySnapshot;
      /** Connectors counted unchanged without being listed (`only`), else 0. */
      unlisted: number;
    }
  /** Validating again found the repository invalid. */
  | { validation: ValidationResult; plan?: undefined };

/**
 * Plans `validation` against the registry. Undefined when a connector skipped as unchanged (or,
 * with `only`, the count of the others) no longer matches the registry and `revalidate` is absent.
 */
export async function planRegistry(args: PlanArgs & { revalidate: () => Promise<ValidationResult> }): Promise<Planned>;
export async function planRegistry(args: PlanArgs): Promise<Planned | undefined>;
export async function planRegistry(args: PlanArgs): Promise<Planned | undefined> {
  let { validation, heads } = args;
  for (;;) {
    const wanted = validation;
    const { snapshot, owners } = args.read
      ? await args.read(async (client) => ({
          snapshot: await readSnapshot(client, wanted.connectors, heads, args.only?.slugs),
          owners: await readKeyOwners(client, declaredKeyNames(wanted.connectors)),
        }))
      : { snapshot: emptySnapshot(), owners: [] as KeyOwner[] };
    const unlisted = args.only ? args.only.live - snapshot.providers.filter((h) => h.status !== 'retired').length : 0;
    const connectors = validation.connectors;
    if (unlisted >= 0 && unchangedStillHolds(connectors, snapshot.providers)) {
      const plan = (kept: CheckedConnectors) => computePlan({ connectors: kept, catalog: validation.catalog, unlisted }, snapshot);
      // A key name another connector owns in the registry: an error, not a plan (key-owners.ts).
      const conflicts = keyConflicts(connectors, owners);
      if (conflicts.length === 0) return { validation, plan: plan(connectors), snapshot, unlisted };
      const refused = await refuseKeyConflicts(validation, conflicts, args.repoRoot);
      return { validation: refused, plan: plan(leaveOut(connectors, new Set(conflicts.map((c) => c.slug)))), snapshot, unlisted };
    }
    // Rare: another sync moved rows the validator skipped. Validated again in full, nothing is skipped.
    if (!args.revalidate || args.only) return undefined;
    validation = await args.revalidate();
    if (!validation.ok) return { validation };
    heads = undefined;
  }
}

export interface PlanOptions {
  /** The registry. Absent: plan against an empty registry. */
  db?: Db;
  repoRoot: string;
  /** Default: validateRepo from pipeline/validate. */
  validate?: Validate;
  /** Validate every manifest, even those whose bytes the registry already synced (`sync --full`). */
  fullValidation?: boolean;
  /** Where a sync says what it could not do but worked around (git failing: every folder is read). */
  log?: (line: string) => void;
}

export interface PlanOutcome {
  validation: ValidationResult;
  /** Absent when validation failed. */
  plan?: Plan;
}

export const defaultValidate: Validate = (args) => validateRepo({ repoRoot: args.repoRoot, known: args.known });

/**
 * Validates, and stamps on every connector read the git tree id a sync would remember for it
 * (changed-folders.ts stampTrees), so the plan's rows are the ones a sync writes.
 */
export async function validateStamped(
  validate: Validate, args: { repoRoot: string; known?: KnownSources }, git: GitFolders | undefined,
  opts: Parameters<typeof stampTrees>[2],
): Promise<ValidationResult> {
  const validation = await validate(args);
  if (validation.ok) await stampTrees(validation.connectors, git, opts);
  return validation;
}

/**
 * `plan` and `sync --dry-run`: validates and plans; never writes. On a database without the
 * schema, or without a database, plans against an empty registry. Each read of the registry is a
 * short read-only transaction of its own, and validation runs outside any: on the embedded
 * registry an open transaction holds up every other client.
 */
export async function planSync(opts: PlanOptions): Promise<PlanOutcome> {
  const { db, repoRoot } = opts;
  const validate = opts.validate ?? defaultValidate;
  // In a git checkout only the folders git does not vouch for are read (changed-folders.ts).
  let memory: RegistryMemory = {};
  const readKnown = async () => (db ? (memory = await withConnection(db, readRegistryMemory)).known : undefined);
  const { known, git } = await readFolderSources({ ...opts, full: opts.fullValidation, readKnown });
  // Nothing is written: the tree ids git gave at first are the ones a sync would remember.
  const stamp = { ...opts, recheck: false };
  const validation = await validateStamped(validate, { repoRoot, known }, git, stamp);
  if (!validation.ok) return { validation };
  const planned = await planRegistry({
    validation, repoRoot, heads: memory.heads,
    read: db && ((fn) => transaction(db, fn, { begin: READ_ONLY })),
    revalidate: () => validateStamped(validate, { repoRoot }, git, stamp),
  });
  return planned.validation.ok ? { validation: planned.validation, plan: planned.plan } : { validation: planned.validation };
}
