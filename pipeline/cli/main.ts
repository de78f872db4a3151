/**
 * `npm run connectors -- <command>`: the one entry point of the pipeline CLI.
 * Each command lives in commands/<name>.ts and exports `run(args): Promise<number>` (the exit code).
 */
import { isConnectionLost } from '../registry/pool.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import { EXIT, UsageError, exitCodeFor } from './errors.ts';

type Command = { run(args: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  new: { summary: 'new <slug> [--display-name TEXT] [--auth-mode MODE]', load: () => import('./commands/new.ts') },
  validate: { summary: 'validate [--json] [--repo-root DIR] [PATH ...]', load: () => import('./commands/validate.ts') },
  plan: { summary: 'plan [--json] [--full]', load: () => import('./commands/plan.ts') },
  sync: { summary: 'sync [--dry-run] [--json] [--full]', load: () => import('./commands/sync.ts') },
  'pr-check': { summary: 'pr-check', load: () => import('./commands/pr-check.ts') },
  'pr-comment': { summary: 'pr-comment --pr N --head SHA [--base SHA]', load: () => import('./commands/pr-comment.ts') },
  doctor: { summary: 'doctor [--data-dir DIR] [--database-url URL] [--vault-dir DIR]   (checks the data dir, registry, vault; exit 1 on a problem)', load: () => import('./commands/doctor.ts') },
  licences: { summary: 'licences [--json] [--connector SLUG]   (read-only: active licences, pending requests)', load: () => import('./commands/licences.ts') },
};

const DATABASE_HELP = `Database (plan, sync, licences): --database-url URL or DATABASE_URL; otherwise the embedded
registry in the data dir (--data-dir DIR or CONNECTORS_DATA_DIR, default .data/), reached through a
running \`npm start\` when one holds it. --full validates every manifest, even those unchanged since
the last sync. pr-check reads no database (it runs a PR's own code); pr-comment plans against
REGISTRY_DATABASE_URL, read-only.`;

export const USAGE = `Usage: npm run connectors -- <command>

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.summary}`)
  .join('\n')}

${DATABASE_HELP}`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}".\n\n${USAGE}`);
  if (rest[0] === '--help' || rest[0] === '-h') {
    process.stdout.write(`Usage: npm run connectors -- ${command.summary}\n\n${DATABASE_HELP}\n`);
    return EXIT.ok;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A message may quote an argument or a file's text: shown escaped, never obeyed by the terminal.
    // A lost registry connection is one plain line: the transaction it cut short wrote nothing.
    const command = process.argv[2] ?? 'command';
    const message = isConnectionLost(err)
      ? `the connection to the registry was lost during the ${command}; nothing was written. Check that the registry is up (for the embedded one, npm start or nothing at all holding the data dir) and run it again.`
      : err instanceof Error
        ? err.message
        : String(err);
    process.stderr.write(`error: ${message.split('\n').map(escapeControl).join('\n')}\n`);
    process.exitCode = exitCodeFor(err);
  },
);
