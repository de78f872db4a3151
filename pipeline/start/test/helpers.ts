import { cpSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Copies what a newcomer's checkout holds (not .git, .data or node_modules, which is linked),
 * keeping timestamps so the copy's built site stays fresh and is not rebuilt.
 */
export function copyRepo(into: string): void {
  for (const entry of ['package.json', 'tsconfig.json', 'connectors', '_template', 'pipeline', 'site', 'vault-agent']) {
    cpSync(path.join(REPO_ROOT, entry), path.join(into, entry), {
      recursive: true,
      preserveTimestamps: true,
      filter: (src) => !src.includes(`${path.sep}node_modules`) && !src.includes(`${path.sep}.astro`),
    });
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(into, 'node_modules'));
}

/** Polls `fn` until it returns a value (not undefined), or fails naming what it waited for. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

