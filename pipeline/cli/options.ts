/**
 * Flags shared by the commands that touch the registry or print JSON: --database-url, --data-dir,
 * --json. Parsed once per command with node:util parseArgs; a wrong flag is a UsageError (exit 2).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { openRegistry, resolveDataDir, type OpenedRegistry } from '../registry/connect.ts';
import { infoPath } from '../registry/info-file.ts';
import { UsageError } from './errors.ts';

export interface RegistryFlags {
  json: boolean;
  /** --database-url, else DATABASE_URL (resolved by openRegistry). */
  databaseUrl?: string;
  /** --data-dir, else CONNECTORS_DATA_DIR, else <repo>/.data (resolved by openRegistry). */
  dataDir?: string;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const REGISTRY_OPTIONS = {
  json: { type: 'boolean' },
  'database-url': { type: 'string' },
  'data-dir': { type: 'string' },
} satisfies Options;

/**
 * Parses `args` for a command taking the registry flags plus `extra` boolean/string flags.
 * `usage` is the command's one-line synopsis, shown with every usage error.
 */
export function parseCommandArgs<E extends Options>(
  args: string[],
  usage: string,
  extra: E = {} as E,
): { flags: RegistryFlags; values: Record<string, string | boolean | undefined>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...REGISTRY_OPTIONS, ...extra }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nUsage: npm run connectors -- ${usage}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  for (const name of ['database-url', 'data-dir'] as const) {
    if (values[name] === '') throw new UsageError(`--${name} needs a value.\nUsage: npm run connectors -- ${usage}`);
  }
  return {
    flags: {
      json: values.json === true,
      databaseUrl: values['database-url'] as string | undefined,
      dataDir: values['data-dir'] as string | undefined,
    },
    values,
    positionals: parsed.positionals,
  };
}

/**
 * The repository the command works on: the nearest directory from `cwd` upwards holding
 * `connectors/` or `pipeline/catalog/` (npm runs scripts from the package root, so normally cwd).
 */
export function resolveRepoRoot(cwd: string = process.cwd()): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'connectors')) || existsSync(path.join(dir, 'pipeline', 'catalog'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(cwd);
  }
}

/** Opens the registry the flags name, runs `fn`, always closes it. */
export async function withRegistry<T>(flags: RegistryFlags, repoRoot: string, fn: (registry: OpenedRegistry) => Promise<T>): Promise<T> {
  const registry = await openRegistry({ databaseUrl: flags.databaseUrl, dataDir: flags.dataDir, repoRoot, log: (line) => process.stderr.write(`${line}\n`) });
  try {
    return await fn(registry);
  } catch (err) {
    throw redactError(err, registry.url);
  } finally {
    await registry.close();
  }
}

/** A database error must not carry the connection string or its password into the output. */
export function redactError(err: unknown, url: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  let message = e.message.split(url).join('<database url>');
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password) message = message.split(password).join('***');
  } catch {
    // not a URL: the whole string is already replaced
  }
  if (message === e.message) return e;
  const clean = new Error(message);
  clean.name = e.name;
  return clean;
}

/** Writes one JSON document followed by a newline. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** No database URL and no embedded registry on disk: nothing to read, and plan must not create one. */
export function noRegistryYet(flags: RegistryFlags, repoRoot: string): boolean {
  if (flags.databaseUrl ?? process.env.DATABASE_URL) return false;
  const dataDir = resolveDataDir(flags.dataDir, repoRoot);
  return !existsSync(path.join(dataDir, 'registry')) && !existsSync(infoPath(dataDir));
}
