/**
 * ensureSiteBuilt(): run `astro build` when site/dist is missing or older than the sources, so
 * `npm start` and every test file serve the current pages without a separate build step.
 * A lock directory under os.tmpdir() makes concurrent callers (two test workers) build once.
 * A build counts only once it finished: astro writes entry.mjs before the chunks it imports, so a
 * build killed halfway left a fresh-looking entry.mjs and a site that could not start until a
 * source changed. The stamp file is written last, after a successful build, and removed first.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SITE_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ENTRY_FILE = path.join(SITE_DIR, 'dist', 'server', 'entry.mjs');
export const CLIENT_DIR = path.join(SITE_DIR, 'dist', 'client');
/** Written after a build succeeded; its mtime is the build's. */
const STAMP_FILE = path.join(SITE_DIR, 'dist', '.build-complete');

/** What a build depends on: if any is newer than the stamp, the build is stale (pages import http/security.ts). */
const SOURCES = ['src', 'public', 'http', 'astro.config.mjs'];

/** A lock older than this belongs to a builder that died. */
const STALE_LOCK_MS = 5 * 60_000;

export async function ensureSiteBuilt(options: { log?: (line: string) => void } = {}): Promise<void> {
  const log = options.log ?? (() => {});
  if (await isFresh()) return;
  const lock = path.join(os.tmpdir(), `god-config-build-${createHash('sha256').update(SITE_DIR).digest('hex').slice(0, 12)}.lock`);
  await acquire(lock);
  try {
    if (await isFresh()) return; // another process built it while we waited
    log('building the site (astro build)...');
    await rm(STAMP_FILE, { force: true });
    const startedAt = new Date();
    await runAstroBuild();
    // Dated when the build started: a source saved during the build makes the next call build again.
    await writeFile(STAMP_FILE, `${startedAt.toISOString()}\n`);
    await utimes(STAMP_FILE, startedAt, startedAt);
    log('site built');
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function isFresh(): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(STAMP_FILE)).mtimeMs;
    await stat(ENTRY_FILE);
  } catch {
    return false;
  }
  for (const source of SOURCES) {
    if ((await newestMtime(path.join(SITE_DIR, source))) > built) return false;
  }
  return true;
}

async function newestMtime(target: string): Promise<number> {
  let info;
  try {
    info = await stat(target);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs; // a deleted file shows as a newer directory
  for (const entry of await readdir(target)) newest = Math.max(newest, await newestMtime(path.join(target, entry)));
  return newest;
}

async function acquire(lock: string): Promise<void> {
  for (;;) {
    try {
      await mkdir(lock);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const since = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (since > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function runAstroBuild(): Promise<void> {
  // The package's bin file; its exports map does not list it, so go through package.json.
  const astroBin = path.join(path.dirname(createRequire(import.meta.url).resolve('astro/package.json')), 'astro.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [astroBin, 'build', '--root', SITE_DIR], {
      cwd: SITE_DIR,
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`astro build failed (exit ${code}). Its output:\n${output.slice(-4000)}\nFix the error above in site/ and run again.`));
    });
  });
}
