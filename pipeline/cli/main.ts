/**
 * `npm run connectors -- <command>`: the one entry point of the pipeline CLI.
 * Each command is defined in specs.ts (flags, arguments, help) and lives in commands/<name>.ts,
 * which exports `run(args): Promise<number>` (the exit code).
 */
import { isConnectionLost } from '../registry/pool.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import { exitCodeFor } from './errors.ts';
import { route, type CommandName } from './specs.ts';

type Command = { run(args: string[]): Promise<number> };

/** Exactly one module per command of specs.ts (the type refuses a missing or an extra one). */
const LOADERS: Record<CommandName, () => Promise<Command>> = {
  new: () => import('./commands/new.ts'),
  validate: () => import('./commands/validate.ts'),
  plan: () => import('./commands/plan.ts'),
  sync: () => import('./commands/sync.ts'),
  'pr-check': () => import('./commands/pr-check.ts'),
  'pr-comment': () => import('./commands/pr-comment.ts'),
  doctor: () => import('./commands/doctor.ts'),
  licences: () => import('./commands/licences.ts'),
};

async function main(argv: string[]): Promise<number> {
  const to = route(argv);
  if (to.kind === 'help') {
    process.stdout.write(to.text);
    return to.exitCode;
  }
  return (await LOADERS[to.name]()).run(to.args);
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
