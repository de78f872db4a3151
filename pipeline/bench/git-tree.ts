/**
 * The generated tree as a git repository with everything committed, as a real checkout is, so the
 * bench's no-op and one-change syncs measure the sentinel's git path (pipeline/sentinel/git-folders.ts).
 *
 * Committed through `git fast-import` (one pack written from a stream) rather than `git add -A`
 * and `git commit`, which write one loose object per file and per folder: measured at 30,000
 * connectors on the 2-core machine under load, add 28 s + commit 104 s (26 s of it in the kernel).
 * The index is then read from the commit and refreshed against the files (one read of each),
 * so `git status` starts from an index that knows every file's stat data.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

const IDENT = 'Connector Factory bench <bench@example.invalid>';

/** One `git fast-import` run: add files as they are made, then commit them all in one commit on main. */
export interface TreeCommit {
  add(file: string, bytes: Buffer | string): Promise<void>;
  /** Commits every file added, checks the commit out into the index, and resolves once git is done. */
  commit(message: string): Promise<void>;
}

/** `git init` in repoRoot (which holds the files already, or will), and a fast-import stream into it. */
export async function startTreeCommit(repoRoot: string): Promise<TreeCommit> {
  await git(repoRoot, ['init', '-q', '-b', 'main']);
  await git(repoRoot, ['config', 'user.name', 'Connector Factory bench']);
  await git(repoRoot, ['config', 'user.email', 'bench@example.invalid']);
  // MALLOC_TOP_PAD_: glibc otherwise gives the heap back after every blob and asks for it again
  // (two brk calls per file: 13 s instead of 1.2 s for 5,000 manifests on the loaded 2-core machine).
  const importer = spawn('git', ['fast-import', '--quiet', '--done'], {
    cwd: repoRoot,
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, MALLOC_TOP_PAD_: String(128 * 1024 * 1024) },
  });
  let stderr = '';
  importer.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    importer.once('error', reject);
    importer.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import failed (exit ${code}): ${stderr.trim().slice(0, 500)}`))));
  });
  exited.catch(() => undefined); // reported by commit()
  const files: { file: string; mark: number }[] = [];
  const ended = exited.then(() => {
    throw new Error('git fast-import ended before the commit');
  });
  ended.catch(() => undefined);
  importer.stdin.on('error', () => undefined); // the exit code and stderr say what went wrong
  let drained: Promise<void> | null = null;
  const write = async (chunk: Buffer | string) => {
    if (!importer.stdin.write(chunk) && !drained) {
      drained = new Promise((resolve) => importer.stdin.once('drain', () => ((drained = null), resolve())));
    }
    if (drained) await Promise.race([drained, ended]);
  };
  return {
    async add(file, bytes) {
      const mark = files.length + 1;
      files.push({ file, mark });
      const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      // One write per blob, so blobs added concurrently never interleave.
      await write(Buffer.concat([Buffer.from(`blob\nmark :${mark}\ndata ${data.length}\n`), data, Buffer.from('\n')]));
    },
    async commit(message) {
      const when = `${Math.floor(Date.now() / 1000)} +0000`;
      const msg = Buffer.from(message);
      const lines = files.map((f) => `M 100644 :${f.mark} ${f.file}\n`).join('');
      await write(`commit refs/heads/main\nauthor ${IDENT} ${when}\ncommitter ${IDENT} ${when}\ndata ${msg.length}\n${message}\n${lines}\ndone\n`);
      importer.stdin.end();
      await exited;
      await git(repoRoot, ['read-tree', 'HEAD']);
      // Stat data for every file (each is read and hashed once), then nothing is left to compare.
      await git(repoRoot, ['update-index', '-q', '--refresh']);
    },
  };
}

/**
 * Writes one file of the tree and commits it on top of HEAD (the bench's committed one-change sync).
 * `worktreeLast`: the commit is made first (the blob, the index entry, the commit) and the file
 * written after, as a pull leaves it: a watcher sees the file change once HEAD already holds it.
 */
export async function commitFile(repoRoot: string, file: string, text: string, message: string, opts: { worktreeLast?: boolean } = {}): Promise<void> {
  if (opts.worktreeLast) {
    const oid = (await git(repoRoot, ['hash-object', '-w', '--stdin'], text)).trim();
    await git(repoRoot, ['update-index', '--cacheinfo', `100644,${oid},${file}`]);
  } else {
    await writeFile(path.join(repoRoot, file), text);
    await git(repoRoot, ['add', '--', file]);
  }
  await git(repoRoot, ['commit', '-q', '--no-verify', '-m', message]);
  if (opts.worktreeLast) await writeFile(path.join(repoRoot, file), text);
}

function git(cwd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args[0]} in ${cwd} failed: ${(stderr || err.message).trim().slice(0, 500)}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
