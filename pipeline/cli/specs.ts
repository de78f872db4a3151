/**
 * Every command of `npm run connectors`, defined once: commands/<name>.ts parses its arguments with
 * its definition here, and main.ts prints the help from the same definitions. Light on purpose
 * (no command code is loaded): `--help` and usage errors answer before anything opens.
 */
import { AUTH_MODES } from '../schema/manifest.ts';
import { didYouMean } from '../validate/suggest.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import { EXIT_CODES, PROGRAM, defineCommand, helpText, synopsis, wantsHelp, type CommandSpec } from './command-line.ts';
import { UsageError } from './errors.ts';

/** --database-url and --data-dir: where plan, sync, licences and doctor find the registry. */
export const REGISTRY_FLAGS = {
  'database-url': {
    type: 'string',
    value: 'URL',
    help: 'the registry in PostgreSQL (default: DATABASE_URL); without one, the embedded registry in the data dir',
  },
  'data-dir': {
    type: 'string',
    value: 'DIR',
    help: "the embedded registry's data dir (default: CONNECTORS_DATA_DIR, else .data/ in the repository); a running npm start on it is reached through its socket",
  },
} as const;

const REPO_ROOT_FLAG = {
  'repo-root': { type: 'string', value: 'DIR', help: 'the repository (default: CONNECTORS_REPO_ROOT, else the nearest folder upwards holding connectors/)' },
} as const;

const FULL_FLAG = { full: { type: 'boolean', help: 'validate every manifest, even those whose bytes the registry synced last time' } } as const;

export const NEW = defineCommand({
  name: 'new',
  summary: 'Scaffolds connectors/<slug>/ from _template/ and says what to fill in next. Exit 1 when the folder exists.',
  args: { synopsis: '<slug>', min: 1, max: 1, help: 'the connector slug and folder name: ^[a-z][a-z0-9_]{1,62}$ (e.g. acme_shop)' },
  flags: {
    'display-name': { type: 'string', value: 'TEXT', help: 'the display_name to write (default: left as TODO)' },
    'auth-mode': { type: 'string', value: 'MODE', help: `the auth_mode to write: ${AUTH_MODES.join(', ')} (default: left as TODO)` },
    ...REPO_ROOT_FLAG,
  },
});

export const VALIDATE = defineCommand({
  name: 'validate',
  summary: 'Checks manifests and catalogues and prints every problem as file:line:col. Exit 1 when anything is invalid.',
  args: { synopsis: '[PATH ...]', min: 0, max: Number.POSITIVE_INFINITY, help: 'a connector folder or its manifest.yaml (default: every connector)' },
  flags: {
    json: { type: 'boolean', help: 'print one JSON object {"ok","checked","errors","warnings"} instead of lines' },
    ...REPO_ROOT_FLAG,
  },
  notes: 'With GITHUB_ACTIONS=true it also prints workflow commands that annotate the lines (on stderr with --json).',
});

export const PLAN = defineCommand({
  name: 'plan',
  summary: 'Shows what a sync would change in the registry. Writes nothing, and never creates a registry.',
  flags: {
    ...FULL_FLAG,
    json: { type: 'boolean', help: 'print the plan as one JSON document' },
    ...REGISTRY_FLAGS,
  },
  notes: 'Without any registry (no --database-url or DATABASE_URL, no embedded registry in the data dir, no npm start\nholding it) it plans against an empty one and says so first: every connector then shows as new.',
});

export const SYNC = defineCommand({
  name: 'sync',
  summary: 'Brings the registry in line with the repository. Anything invalid: no connector is changed, exit 1.',
  flags: {
    'dry-run': { type: 'boolean', help: 'validate and plan, write nothing' },
    json: { type: 'boolean', help: 'print the result (with its plan) as one JSON document' },
    ...FULL_FLAG,
    ...REGISTRY_FLAGS,
  },
  notes: 'Without any registry yet, it creates the embedded one in the data dir.',
});

export const PR_CHECK = defineCommand({
  name: 'pr-check',
  summary: "The pull-request check (GitHub Actions `pull_request` job): validates the PR's connectors and plans against an empty registry.",
  flags: {},
  noArgsHint: 'it reads the GitHub Actions environment.',
  notes: 'Reads no token and no database URL. Saves the PR pointers to PR_CHECK_POINTERS when set.',
});

export const PR_COMMENT = defineCommand({
  name: 'pr-comment',
  summary: "Writes the plan comment on a pull request (GitHub Actions `workflow_run` job), reading the PR head's files as data.",
  flags: {
    pr: { type: 'string', value: 'N', required: true, help: 'the pull request number, from pr-check\'s artifact' },
    head: { type: 'string', value: 'SHA', required: true, help: 'the PR head commit (40 hex digits)' },
    base: { type: 'string', value: 'SHA', help: 'the base commit (40 hex digits)' },
  },
  notes: 'Plans against REGISTRY_DATABASE_URL, read-only. Flags GitHub contradicts are refused with exit 1.',
});

export const DOCTOR = defineCommand({
  name: 'doctor',
  summary: 'Checks the data dir, its owner, the registry and the vault, and says what to do about each problem. Exit 1 on a problem.',
  flags: {
    ...REGISTRY_FLAGS,
    'vault-dir': { type: 'string', value: 'DIR', help: 'the vault dir to check (default: VAULT_DIR, else ~/northstar-keys)' },
  },
});

export const LICENCES = defineCommand({
  name: 'licences',
  summary: 'Lists active firearm licences and pending requests. Read-only: an operator grants, revokes and approves on the God Config site.',
  flags: {
    json: { type: 'boolean', help: 'print the listing as one JSON document' },
    connector: { type: 'string', value: 'SLUG', help: "only this connector's licences and requests" },
    ...REGISTRY_FLAGS,
  },
  noArgsHint: 'it only lists. Licences are granted, revoked and approved by an operator on the God Config site (/licences).',
});

/** `npm start`: not a command of `npm run connectors`, but defined, parsed and helped the same way. */
export const START = defineCommand({
  name: 'start',
  program: 'npm start --',
  summary: 'Runs the whole factory: the registry, a sync of the repository (again on every change), the vault-agent and the God Config site. Ctrl-C stops every part it started.',
  flags: {
    port: { type: 'string', value: 'N', help: "the site's port, 0 for any free one (default: PORT, else 4321)" },
    host: { type: 'string', value: 'H', help: 'the address the site listens on (default: 127.0.0.1)' },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      help: 'where the embedded registry and the run files live (default: CONNECTORS_DATA_DIR, else .data/ in the repository)',
    },
    'vault-dir': { type: 'string', value: 'DIR', help: "the vault-agent's vault dir (default: VAULT_DIR, else ~/northstar-keys)" },
    'database-url': REGISTRY_FLAGS['database-url'],
    operator: { type: 'string', value: 'NAME', help: 'the name your approvals and keys are recorded under (default: your OS user)' },
    'no-watch': { type: 'boolean', help: 'sync once at start, not again when connectors/, _template/ or pipeline/catalog/ change' },
  },
  noArgsHint: 'everything it takes is a flag.',
  notes: 'The repository is CONNECTORS_REPO_ROOT when set, else this checkout. VAULT_AGENT_SOCKET sets the vault-agent socket.',
});

/** Every command, in the order the usage lists them. */
export const COMMAND_SPECS = [NEW, VALIDATE, PLAN, SYNC, PR_CHECK, PR_COMMENT, DOCTOR, LICENCES] as const satisfies readonly CommandSpec[];

export type CommandName = (typeof COMMAND_SPECS)[number]['name'];

export const USAGE = `Usage: ${PROGRAM} <command> [options]        (${PROGRAM} <command> --help: its options)

Commands:
${COMMAND_SPECS.map((c) => `  ${synopsis(c)}\n      ${c.summary}`).join('\n')}

${EXIT_CODES}`;

/** What main does with its argv: print some help, or run a command with the rest of the arguments. */
export type Route = { kind: 'help'; text: string; exitCode: 0 | 2 } | { kind: 'run'; name: CommandName; args: string[] };

/** Pure: the argv after the program name to a route; an unknown command is a UsageError with a suggestion. */
export function route(argv: readonly string[]): Route {
  const [name, ...rest] = argv;
  if (!name) return { kind: 'help', text: `${USAGE}\n`, exitCode: 2 };
  if (name === '--help' || name === '-h' || name === 'help') {
    const about = (COMMAND_SPECS as readonly CommandSpec[]).find((c) => c.name === rest[0]);
    return { kind: 'help', text: about ? helpText(about) : `${USAGE}\n`, exitCode: 0 };
  }
  const spec = (COMMAND_SPECS as readonly CommandSpec[]).find((c) => c.name === name) as (typeof COMMAND_SPECS)[number] | undefined;
  if (!spec) {
    const hint = didYouMean(name, COMMAND_SPECS.map((c) => c.name));
    throw new UsageError(`unknown command "${escapeControl(name)}".${hint}\n\n${USAGE}`);
  }
  if (wantsHelp(rest)) return { kind: 'help', text: helpText(spec), exitCode: 0 };
  return { kind: 'run', name: spec.name, args: rest };
}
