/**
 * What the commands share once their arguments are parsed (command-line.ts, with their definitions
 * in specs.ts): the repository root, the registry the flags name, JSON output.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolveDataDir, withOpenRegistry, type OpenedRegistry } from '../registry/connect.ts';
import { redactError } from '../registry/db.ts';
import { infoPath } from '../registry/info-file.ts';
import { terminalJson } from '../validate/terminal-text.ts';
import { InputError, UsageError } from './errors.ts';

export interface RegistryFlags {
  json: boolean;
  /** --database-url, else DATABASE_URL (resolved by openRegistry). */
  databaseUrl?: string;
  /** --data-dir, else CONNECTORS_DATA_DIR, else <repo>/.data (resolved by openRegistry). */
  dataDir?: string;
}

/** The registry flags (specs.ts REGISTRY_FLAGS) and --json out of a command's parsed values. */
export function registryFlags(values: { json?: boolean; 'database-url'?: string; 'data-dir'?: string }): RegistryFlags {
  return { json: values.json === true, databaseUrl: values['database-url'], dataDir: values['data-dir'] };
}

/**
 * The repository a command works on: `explicit` (--repo-root), else CONNECTORS_REPO_ROOT, else the
 * nearest directory from `cwd` upwards that holds connectors/ beside package.json or
 * pipeline/catalog/ (npm runs scripts from the package root, so normally cwd itself).
 */
export function findRepoRoot(explicit?: string, cwd: string = process.cwd()): string {
  const given = explicit ?? process.env.CONNECTORS_REPO_ROOT;
  if (given) {
    const root = path.resolve(cwd, given);
    if (!existsSync(path.join(root, 'connectors'))) {
      throw new UsageError(`${root} has no connectors/ folder. Point --repo-root (or CONNECTORS_REPO_ROOT) at the repository root.`);
    }
    return root;
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const isRoot = existsSync(path.join(dir, 'connectors')) && (existsSync(path.join(dir, 'package.json')) || existsSync(path.join(dir, 'pipeline', 'catalog')));
    if (isRoot) return dir;
    if (path.dirname(dir) === dir) {
      throw new InputError(
        `no repository found: no directory from ${cwd} upwards holds connectors/ and package.json. Run this inside the connector repository, or pass --repo-root DIR.`,
      );
    }
  }
}

/** Opens the registry the flags name, runs `fn`, always closes it. */
export async function withRegistry<T>(flags: RegistryFlags, repoRoot: string, fn: (registry: OpenedRegistry) => Promise<T>): Promise<T> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // Reaching another process's embedded registry, a command starts over if that process stops under it.
  return withOpenRegistry({ databaseUrl: flags.databaseUrl, dataDir: flags.dataDir, repoRoot, log }, async (registry) => {
    try {
      return await fn(registry);
    } catch (err) {
      throw redactError(err, registry.url);
    }
  });
}

/**
 * Writes one JSON document followed by a newline. Manifest text stays raw only inside JSON strings,
 * with every control and bidi character \u-escaped (terminalJson), so the document is safe to print.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${terminalJson(value, 2)}\n`);
}

/**
 * Where plan, sync and licences find the registry: the database URL (--database-url, else
 * DATABASE_URL); else the embedded registry in the data dir, on disk or held by a running
 * `npm start` (its registry.json); else none, with the data dir that was looked in.
 */
export type RegistryLocation = { kind: 'url' } | { kind: 'embedded'; dataDir: string } | { kind: 'none'; dataDir: string };

export function locateRegistry(flags: RegistryFlags, repoRoot: string): RegistryLocation {
  if (flags.databaseUrl ?? process.env.DATABASE_URL) return { kind: 'url' };
  const dataDir = resolveDataDir(flags.dataDir, repoRoot);
  const onDisk = existsSync(path.join(dataDir, 'registry')) || existsSync(infoPath(dataDir));
  return { kind: onDisk ? 'embedded' : 'none', dataDir };
}

/** No database URL and no embedded registry on disk: nothing to read, and plan must not create one. */
export function noRegistryYet(flags: RegistryFlags, repoRoot: string): boolean {
  return locateRegistry(flags, repoRoot).kind === 'none';
}
