import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const copied = (src: string) => !src.includes(`${path.sep}node_modules`) && !src.includes(`${path.sep}.astro`);

/**
 * Copies what a newcomer's checkout holds (not .git, .data or node_modules, which is linked),
 * keeping timestamps so the copy's built site stays fresh and is not rebuilt: every npm start
 * test rebuilding it at once (an astro build each, on two cores) made vault-agent miss its start-up
 * limit in CI. cpSync's preserveTimestamps keeps files' times only; a directory would be dated
 * now, newer than the build (site/build.ts counts a directory's time: a deleted file), so
 * directories get their times back too.
 */
export function copyRepo(into: string): void {
  for (const entry of ['package.json', 'tsconfig.json', 'connectors', '_template', 'pipeline', 'site', 'vault-agent']) {
    const from = path.join(REPO_ROOT, entry);
    cpSync(from, path.join(into, entry), { recursive: true, preserveTimestamps: true, filter: copied });
    keepDirectoryTimes(from, path.join(into, entry));
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(into, 'node_modules'));
}

function keepDirectoryTimes(from: string, to: string): void {
  const info = statSync(from);
  if (!info.isDirectory()) return;
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const child = path.join(from, entry.name);
    if (entry.isDirectory() && copied(child)) keepDirectoryTimes(child, path.join(to, entry.name));
  }
  utimesSync(to, info.atime, info.mtime);
}

/** A process a test waits on: what it printed so far, and the process itself. */
export interface Watched {
  child: ChildProcess;
  output(): string;
}

/**
 * Polls `fn` until it returns a value (not undefined), or fails naming what it waited for. With
 * `watched`, it fails as soon as that process has exited instead of at the time limit, and either
 * failure quotes the last lines it printed (where a start-up stopped, and why).
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
  watched?: Watched,
): Promise<T> {
  const deadline = Date.now() + ms;
  const printed = () => (watched ? `; it had printed:\n${watched.output().split('\n').slice(-40).join('\n')}` : '');
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    const { exitCode, signalCode } = watched?.child ?? {};
    if (exitCode != null || signalCode != null) throw new Error(`the process exited (${signalCode ?? `code ${exitCode}`}) before ${what}${printed()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${printed()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}


/** The login URL `npm start` printed (`God Config: http://127.0.0.1:PORT/?token=...`), once it has. */
export function printedLoginUrl(output: string): string | undefined {
  return /God Config: (http:\/\/\S+\/\?token=\S+)/.exec(output)?.[1];
}

/**
 * Logs in over HTTP as a browser does: opens the printed login URL, keeps the session cookie, and
 * answers a `get` that sends it (paths relative to the site).
 */
export async function loginWithFetch(loginUrl: string): Promise<{ site: string; get(path: string): Promise<Response> }> {
  const site = new URL(loginUrl).origin;
  const reply = await fetch(loginUrl, { redirect: 'manual' });
  const cookie = reply.headers.get('set-cookie')?.split(';')[0];
  if (reply.status !== 303 || !cookie) throw new Error(`logging in at ${site} answered HTTP ${reply.status} without a session cookie`);
  return { site, get: (path) => fetch(`${site}${path}`, { headers: { cookie } }) };
}

/**
 * Adds `count` realistic synthetic connectors (the bench's generator) to the repository at
 * `repoRoot`, so a sync has real work to do. Returns their slugs.
 */
export async function addSyntheticConnectors(repoRoot: string, count: number): Promise<string[]> {
  const { loadCatalog, DEFAULT_SEED } = await import('../../bench/generate.ts');
  const { syntheticManifest, syntheticSlug } = await import('../../bench/synthetic.ts');
  const { AUTHORED, manifestYaml } = await import('../../schema/manifest-yaml.ts');
  const catalog = await loadCatalog(path.join(repoRoot, 'pipeline/catalog'));
  const slugs: string[] = [];
  for (let i = 0; i < count; i++) {
    const slug = syntheticSlug(i);
    mkdirSync(path.join(repoRoot, 'connectors', slug), { recursive: true });
    writeFileSync(path.join(repoRoot, 'connectors', slug, 'manifest.yaml'), manifestYaml(syntheticManifest(i, DEFAULT_SEED, catalog), AUTHORED));
    slugs.push(slug);
  }
  return slugs;
}

/** Lines of `output` that look like a stack trace or an unhandled error: none may ever be printed. */
export function crashLines(output: string): string[] {
  return output.split('\n').filter((l) => /^\s+at .+[(:]\d+|Unhandled 'error' event|triggerUncaughtException|UnhandledPromiseRejection/.test(l));
}
