/**
 * What a PR touches, and therefore what pr-check validates.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gitEnv } from './git.ts';

const run = promisify(execFile);

export type ChangedFiles = { ok: true; files: string[] } | { ok: false; message: string };

/**
 * `git diff --name-only base...head` in the checkout: the files the PR changes since it left its
 * base branch (three dots: changes merged into the base meanwhile are not the PR's).
 * Needs both commits in the checkout (actions/checkout with fetch-depth: 0).
 */
export async function changedFiles(repoRoot: string, baseSha: string, headSha: string): Promise<ChangedFiles> {
  try {
    // Names only: no diff driver or textconv from anyone's config runs, and git gets none of the job's secrets.
    const { stdout } = await run('git', ['diff', '--name-only', '--no-renames', '--no-ext-diff', '--no-textconv', '-z', `${baseSha}...${headSha}`, '--'], {
      cwd: repoRoot,
      env: gitEnv(null),
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ok: true, files: stdout.split('\0').filter(Boolean).sort() };
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? (err as Error).message).trim().split('\n')[0];
    return {
      ok: false,
      message: `git diff ${baseSha.slice(0, 12)}...${headSha.slice(0, 12)} failed (${stderr}); check out with fetch-depth: 0 so both commits are present`,
    };
  }
}

export interface ValidationScope {
  /** Validate every connector. */
  all: boolean;
  reason: string;
  /** Connector folders (`connectors/<slug>`) to validate when not all. */
  paths: string[];
}

/**
 * Pure: from the changed files to what to validate. A catalogue or template change can break any
 * manifest, so it validates everything; otherwise the touched connector folders. The cross-file
 * rules (duplicate slugs, catalogue entries in use) run over the whole tree either way.
 */
export function validationScope(files: string[] | null): ValidationScope {
  if (files === null) return { all: true, reason: 'the diff is not available', paths: [] };
  if (files.some((f) => f.startsWith('pipeline/catalog/'))) return { all: true, reason: 'the catalogues changed', paths: [] };
  if (files.some((f) => f.startsWith('_template/'))) return { all: true, reason: 'the template changed', paths: [] };
  const folders = new Set<string>();
  for (const f of files) {
    const m = /^connectors\/([^/]+)\//.exec(f) ?? /^connectors\/([^/]+)$/.exec(f);
    if (m) folders.add(`connectors/${m[1]}`);
  }
  if (folders.size === 0) return { all: true, reason: 'no connector changed', paths: [] };
  return { all: false, reason: 'connectors changed', paths: [...folders].sort() };
}

/** Folders the PR deleted are gone from the checkout: the plan retires them, nothing to validate. */
export function existingPaths(repoRoot: string, paths: string[]): string[] {
  return paths.filter((p) => existsSync(join(repoRoot, p)));
}
