/**
 * `npm start [-- --port N] [--host H] [--data-dir DIR] [--vault-dir DIR] [--database-url URL] [--operator NAME] [--no-watch]`
 * Runs the whole factory; Ctrl-C (SIGINT) or SIGTERM stops every part it started.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFactory, type Factory } from '../start/factory.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import { helpText, parseCommandLine, wantsHelp } from './command-line.ts';
import { EXIT, UsageError, exitCodeFor } from './errors.ts';
import { checkOperatorName, osOperatorName } from './operator-name.ts';
import { START } from './specs.ts';

// The repository whose connectors npm start syncs and watches: CONNECTORS_REPO_ROOT as for every
// command (the bench starts it on its generated tree), else this checkout.
const repoRoot = path.resolve(process.env.CONNECTORS_REPO_ROOT || path.join(path.dirname(fileURLToPath(import.meta.url)), '../..'));

/** The flags (START in specs.ts: the same parser, synopsis, --help and exit 2 as every command) and the environment, read once. */
function options(argv: string[]) {
  const { values } = parseCommandLine(START, argv);
  const port = Number(values.port ?? process.env.PORT ?? 4321);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number from 0 to 65535, got "${values.port ?? process.env.PORT}"`);
  }
  const operator = checkOperatorName(values.operator ?? osOperatorName());
  if (!operator.ok) throw new UsageError(operator.message);
  return {
    repoRoot,
    port,
    host: values.host ?? '127.0.0.1',
    dataDir: path.resolve(values['data-dir'] ?? process.env.CONNECTORS_DATA_DIR ?? path.join(repoRoot, '.data')),
    databaseUrl: values['database-url'] ?? process.env.DATABASE_URL,
    vaultDir: values['vault-dir'] ?? process.env.VAULT_DIR,
    socketPath: process.env.VAULT_AGENT_SOCKET,
    operator: operator.name,
    watch: !values['no-watch'],
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(helpText(START));
    return EXIT.ok;
  }
  const opts = options(argv);
  // Lines quote manifests, file names and child output: control and bidi characters are shown
  // escaped (terminal-text.ts), so nothing printed can erase a line or fake another.
  const log = (line: string) => process.stdout.write(`${line.split('\n').map(escapeControl).join('\n')}\n`);

  // Handlers come first: Ctrl-C during start-up must still stop every part already started
  // (the registry, the vault-agent child), not kill this process and orphan them.
  let factory: Factory | undefined;
  const interrupt = new AbortController();
  const stopRequested = new Promise<string>((resolve) => {
    const onSignal = (signal: string) => {
      if (!factory && !interrupt.signal.aborted) log(`\n${signal}: stopping what has started so far…`);
      interrupt.abort();
      resolve(signal);
    };
    // `on`, not `once`: tsx re-raises a signal that finds no listener of ours.
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });

  try {
    factory = await startFactory({ ...opts, log, signal: interrupt.signal });
  } catch (err) {
    // Interrupted start-up: startFactory stopped what it had started. The terminal's Ctrl-C reaches
    // our children too, so a part may also have failed because it was told to stop: the same stop.
    if (!interrupt.signal.aborted) throw err;
    log('stopped.');
    return EXIT.ok;
  }
  const signal = await stopRequested;
  log(`\n${signal}: stopping the factory…`);
  await factory.close();
  log('stopped.');
  return EXIT.ok;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`npm start: ${message.split('\n').map(escapeControl).join('\n')}\n`);
    process.exitCode = exitCodeFor(err);
  },
);
