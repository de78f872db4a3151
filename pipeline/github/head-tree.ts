/**
 * The PR head as data: fetch its commit into the default branch's checkout, list the files the
 * validator reads (connectors/, _template/, pipeline/catalog/) with `git ls-tree`, and copy their
 * bytes with `git cat-file --batch` into a private temp dir. Nothing from the head is ever run,
 * installed or checked out: no package.json script, no hook, no connector code, no validator of
 * the PR's own; only the bytes of these files, written 0644/0755 and never executed.
 *
 * A symbolic link in the tree is written as a symbolic link (the validator refuses it where it
 * matters) that points nowhere: following it reaches no file on this machine.
 */
import { spawn } from 'node:child_process';
import { mkdir, open, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gitEnv, runGit, type GitOptions } from './git.ts';

/** What pr-comment reads from the head: the validator's inputs and the connector folders' files (the digest covers them). */
export const HEAD_ROOTS = ['connectors', '_template', 'pipeline/catalog'] as const;
/** Where a symbolic link from the head points in the copy: a name in its own folder that we never create. */
export const WITHHELD_LINK_TARGET = '.symlink-target-withheld-by-pr-comment';
/** A PR's connector files in bulk beyond these are refused, not copied (a runner's disk is not the PR's). */
export const MAX_TREE_ENTRIES = 200_000;
export const MAX_TREE_BYTES = 512 * 1024 * 1024;

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'commit';
  oid: string;
  /** Bytes for a blob; 0 for a submodule. */
  size: number;
  path: string;
}

export type Outcome<T> = ({ ok: true } & T) | { ok: false; message: string };

/**
 * Makes `head` (and `base`, when given) present in the checkout: by SHA (GitHub serves any
 * reachable commit), else through the PR's own ref `refs/pull/N/head`. Writes no branch, only FETCH_HEAD.
 */
export async function fetchCommits(options: GitOptions, pr: number, head: string, base: string | null): Promise<Outcome<{ baseAvailable: boolean }>> {
  const has = async (sha: string) => (await runGit(['cat-file', '-e', `${sha}^{commit}`], options)).ok;
  const fetch = (ref: string) => runGit(['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', 'origin', ref], options);
  if (!(await has(head))) {
    const bySha = await fetch(head);
    if (!bySha.ok) await fetch(`refs/pull/${pr}/head`);
    if (!(await has(head))) {
      return { ok: false, message: `the PR head ${head} could not be fetched from origin (by SHA: ${bySha.ok ? 'fetched, but not that commit' : bySha.message}); nothing was read or posted` };
    }
  }
  let baseAvailable = base === null ? false : await has(base);
  if (base && !baseAvailable) {
    await fetch(base);
    baseAvailable = await has(base);
  }
  return { ok: true, baseAvailable };
}

/** Rejects paths that could leave the copy or mean something to git. Pure. */
export function unsafePathReason(path: string): string | null {
  if (path.length > 4096) return 'is longer than 4096 characters';
  if (path.startsWith('/')) return 'is absolute';
  for (const part of path.split('/')) {
    if (part === '' || part === '.' || part === '..') return `has a "${part}" component`;
    if (part.toLowerCase() === '.git') return 'has a ".git" component';
  }
  return null;
}

/** `git ls-tree -r -z -l` output to entries. Pure. */
export function parseLsTree(out: Buffer): Outcome<{ entries: TreeEntry[] }> {
  const entries: TreeEntry[] = [];
  for (const record of out.toString('utf8').split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const m = /^(\d{6}) (blob|commit|tree) ([0-9a-f]{40}) +(\d+|-)$/.exec(record.slice(0, tab));
    if (tab < 0 || !m) return { ok: false, message: `git ls-tree printed a line it should not: ${JSON.stringify(record.slice(0, 120))}` };
    if (m[2] === 'tree') continue;
    entries.push({ mode: m[1]!, type: m[2] as TreeEntry['type'], oid: m[3]!, size: m[4] === '-' ? 0 : Number(m[4]), path: record.slice(tab + 1) });
  }
  return { ok: true, entries };
}

/** The head's entries under HEAD_ROOTS, every path checked, within the size limits. */
export async function listHeadTree(options: GitOptions, head: string): Promise<Outcome<{ entries: TreeEntry[] }>> {
  const listed = await runGit(['ls-tree', '-r', '-z', '-l', '--full-tree', head, '--', ...HEAD_ROOTS], options);
  if (!listed.ok) return listed;
  const parsed = parseLsTree(listed.stdout);
  if (!parsed.ok) return parsed;
  return checkLimits(parsed.entries);
}

/** Pure: every path safe, the count and total size within the limits. */
export function checkLimits(entries: TreeEntry[]): Outcome<{ entries: TreeEntry[] }> {
  for (const e of entries) {
    const why = unsafePathReason(e.path);
    if (why) return { ok: false, message: `the PR head has a path that ${why} (${JSON.stringify(e.path.slice(0, 200))}); nothing was read` };
  }
  const bytes = entries.reduce((n, e) => n + e.size, 0);
  if (entries.length > MAX_TREE_ENTRIES || bytes > MAX_TREE_BYTES) {
    const mib = (n: number) => `${Math.ceil(n / 1024 / 1024)} MiB`;
    return {
      ok: false,
      message: `the PR head's ${HEAD_ROOTS.join('/, ')}/ hold ${entries.length} files and ${mib(bytes)}, more than the ${MAX_TREE_ENTRIES} files and ${mib(MAX_TREE_BYTES)} pr-comment reads as data; keep large files out of connector folders`,
    };
  }
  return { ok: true, entries };
}

async function writeExclusive(path: string, bytes: Buffer, mode: number): Promise<void> {
  // wx: created here, never an existing file or a link followed.
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
}

/**
 * Streams every blob through one `git cat-file --batch` and writes it under `dir`; submodules
 * become empty folders, symbolic links point nowhere (WITHHELD_LINK_TARGET).
 */
export async function copyEntries(options: GitOptions, entries: TreeEntry[], dir: string): Promise<Outcome<{ files: number }>> {
  const place = async (e: TreeEntry, bytes: Buffer | null) => {
    const target = join(dir, e.path);
    await mkdir(dirname(target), { recursive: true });
    if (e.type === 'commit') await mkdir(target, { recursive: true });
    else if (e.mode === '120000') await symlink(WITHHELD_LINK_TARGET, target);
    else await writeExclusive(target, bytes ?? Buffer.alloc(0), e.mode === '100755' ? 0o755 : 0o644);
  };
  const blobs = entries.filter((e) => e.type === 'blob' && e.mode !== '120000');
  const others = entries.filter((e) => !(e.type === 'blob' && e.mode !== '120000'));
  try {
    for (const e of others) await place(e, null);
    await catFileBatch(options, blobs.map((e) => e.oid), (i, bytes) => place(blobs[i]!, bytes));
  } catch (err) {
    return { ok: false, message: `copying the PR head's files failed: ${(err as Error).message}` };
  }
  return { ok: true, files: entries.length };
}

/** `git cat-file --batch`: one process for every blob, each handed over in order as it arrives. */
function catFileBatch(options: GitOptions, oids: string[], onBlob: (index: number, bytes: Buffer) => Promise<void>): Promise<void> {
  if (oids.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: options.cwd, env: gitEnv(null), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.stdin.end(`${oids.join('\n')}\n`);
    const run = async () => {
      // Chunks are collected per blob and joined once: a large blob costs its size, not its square.
      let header = Buffer.alloc(0);
      let size = -1;
      let parts: Buffer[] = [];
      let have = 0;
      let index = 0;
      for await (const chunk of child.stdout) {
        let data = chunk as Buffer;
        while (data.length > 0) {
          if (size < 0) {
            header = Buffer.concat([header, data]);
            data = Buffer.alloc(0);
            const eol = header.indexOf(0x0a);
            if (eol < 0) break;
            const line = header.subarray(0, eol).toString('utf8');
            const m = /^([0-9a-f]{40}) blob (\d+)$/.exec(line);
            if (!m) throw new Error(`git cat-file answered "${line.slice(0, 80)}" for ${oids[index]}`);
            size = Number(m[2]);
            data = header.subarray(eol + 1);
            header = Buffer.alloc(0);
          } else {
            // The blob's bytes and the newline after them.
            const take = data.subarray(0, size + 1 - have);
            parts.push(take);
            have += take.length;
            data = data.subarray(take.length);
            if (have === size + 1) {
              await onBlob(index++, Buffer.concat(parts, have).subarray(0, size));
              size = -1;
              parts = [];
              have = 0;
            }
          }
        }
      }
      if (index !== oids.length) throw new Error(`git cat-file stopped after ${index} of ${oids.length} files${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`);
    };
    run().then(resolve, (err: unknown) => {
      child.kill();
      reject(err as Error);
    });
  });
}
