/**
 * The embedded registry's clean-stop stamp, `<dataDir>/registry.clean`: written by the owner once
 * PGlite has closed cleanly, it holds a digest of every file of the cluster (path, size and
 * modification time; stat only, about a thousand files). When the next owner finds the files
 * exactly as that stop left them, nothing has touched them since: no crash mid-write, no copy cut
 * short, no other program. npm start then skips reading every table through (integrity.ts), which
 * at 100,000 connectors is the slowest part of its start; any difference, or no stamp, and it reads.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const STAMP_FILE = 'registry.clean';

/** The digest of the cluster's files as they are now; null when the cluster is missing. */
async function filesDigest(dataDir: string): Promise<string | null> {
  const pgdata = path.join(dataDir, 'registry');
  const lines: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(p);
      else {
        const st = await lstat(p, { bigint: true });
        lines.push(`${path.relative(pgdata, p)} ${st.size} ${st.mtimeNs}`);
      }
    }
  };
  try {
    await walk(pgdata);
  } catch {
    return null;
  }
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}

/** True when the cluster's files are exactly as the last clean stop left them. */
export async function cleanSinceLastStop(dataDir: string): Promise<boolean> {
  const stamp = await readFile(path.join(dataDir, STAMP_FILE), 'utf8').catch(() => null);
  if (!stamp) return false;
  const now = await filesDigest(dataDir);
  return now !== null && stamp.trim() === now;
}

/** After PGlite closed cleanly: the stamp of the files as they are now (written whole, or not at all). */
export async function writeCleanStamp(dataDir: string): Promise<void> {
  const digest = await filesDigest(dataDir);
  const file = path.join(dataDir, STAMP_FILE);
  if (!digest) return rm(file, { force: true });
  await writeFile(`${file}.tmp`, `${digest}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}
