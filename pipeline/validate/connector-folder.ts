/**
 * Reads a whole connector folder for its digest: every file (by the rules of folder-rules.ts)
 * hashed by its bytes, the manifest's bytes kept for the validator. Blocking on purpose: a folder
 * is a handful of small files, the worker pool needs the blocking form anyway, and one code path
 * is what keeps the digest the sentinel computes equal to the one the runtime computes.
 *
 * Nothing is followed or waited on: files are opened with O_NOFOLLOW (a file swapped for a link
 * since the listing fails instead of being read through) and O_NONBLOCK (a file swapped for a
 * FIFO does not hang the read), and their kind is checked again on the open descriptor.
 */
import { createHash } from 'node:crypto';
import fs, { constants } from 'node:fs';
import path from 'node:path';
import { canonicalJson, MANIFEST_FILE } from '../schema/digest.ts';
import { entryRule, keepsText, MAX_FOLDER_BYTES, MAX_FOLDER_DEPTH, MAX_FOLDER_FILES, MAX_TEXT_BYTES, type EntryKind } from './folder-rules.ts';
import { readManifestFileSync, type ReadOutcome } from './read-file.ts';
import type { ProblemCode } from './problem-codes.ts';
import type { Problem } from './types.ts';

/** One file of a connector folder: path relative to the folder ('/'-separated), sha256 of its bytes, size, and whether its text may be kept. */
export interface FolderFile {
  path: string;
  sha256: string;
  size: number;
  /** A small UTF-8 source or document file (folder-rules.ts keepsText): the registry keeps its text. */
  text: boolean;
}

export interface FolderRead {
  /** Every file the digest covers, manifest.yaml included when it could be read, sorted by path. */
  files: FolderFile[];
  /** The manifest as read-file.ts reads it (the validator judges it). */
  manifest: ReadOutcome;
  /** Files the folder may not hold, and limits passed: each a validation error. */
  problems: Problem[];
}

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** One read buffer for the whole thread: every read here is blocking, so it is never shared. */
const scratch = Buffer.allocUnsafe(64 * 1024);

const whole = (file: string, code: ProblemCode, message: string): Problem => ({ file, line: 1, column: 1, path: '', code, message });
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface FolderReadOptions {
  /**
   * Hash every file and judge which texts may be kept (default true). Without it (a caller that
   * keeps only problems, e.g. `validate`) every file is still listed, read to its end and held to
   * the same rules and limits, but `sha256` is the empty string and `text` false.
   */
  hash?: boolean;
}

/** Reads connectors/<folder>/ under repoRoot. Never throws for what a folder can hold. */
export function readConnectorFolderSync(repoRoot: string, folder: string, opts: FolderReadOptions = {}): FolderRead {
  const hashing = opts.hash !== false;
  const root = path.join(repoRoot, 'connectors', folder);
  const shown = (rel: string) => `connectors/${folder}/${rel}`;
  const files: FolderFile[] = [];
  const problems: Problem[] = [];
  let bytes = 0;
  let stopped = false;

  const manifest = readManifestFileSync(path.join(root, MANIFEST_FILE));
  if (manifest.kind === 'bytes') {
    bytes += manifest.bytes.byteLength;
    files.push({ path: MANIFEST_FILE, sha256: hashing ? sha256(manifest.bytes) : '', size: manifest.bytes.byteLength, text: false });
  }

  const limit = (code: ProblemCode, message: string) => {
    problems.push(whole(`connectors/${folder}`, code, message));
    stopped = true;
  };

  const readOne = (abs: string, rel: string): void => {
    if (files.length >= MAX_FOLDER_FILES) {
      return limit('folder_too_many_files', `connectors/${folder}/ holds more than ${MAX_FOLDER_FILES} files. A connector folder holds its manifest and code; move data and build output elsewhere.`);
    }
    const read = hashFile(abs, rel, MAX_FOLDER_BYTES - bytes, hashing);
    if (read.kind === 'too_large') {
      return limit('folder_too_large', `connectors/${folder}/ holds more than ${MAX_FOLDER_BYTES / 1024 / 1024} MiB (at ${rel}). A connector folder holds its manifest and code; move data and build output elsewhere.`);
    }
    if (read.kind === 'refused') {
      problems.push(whole(shown(rel), read.code, `${shown(rel)} ${read.why}`));
      return;
    }
    bytes += read.file.size;
    files.push(read.file);
  };

  const walk = (dirAbs: string, relDir: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dirAbs, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      // The folder itself missing is the manifest's problem (missing_manifest), reported by the validator.
      if (relDir === '' && code === 'ENOENT') return;
      problems.push(whole(relDir ? shown(relDir) : `connectors/${folder}`, 'read_error', `cannot list ${relDir ? shown(relDir) : `connectors/${folder}`}/ (${code}). Check its permissions.`));
      return;
    }
    entries.sort((a, b) => byCodeUnit(a.name, b.name));
    for (const entry of entries) {
      if (stopped) return;
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (rel === MANIFEST_FILE) continue; // read above, judged by the validator
      const abs = path.join(dirAbs, entry.name);
      const kind = kindOf(entry, abs);
      const rule = entryRule(entry.name, kind);
      if (rule.action === 'skip') continue;
      if (rule.action === 'refuse') {
        problems.push(whole(shown(rel), rule.code, `${shown(rel)} ${rule.why}`));
        continue;
      }
      if (kind === 'directory') {
        if (depth + 1 > MAX_FOLDER_DEPTH) {
          limit('folder_too_deep', `connectors/${folder}/ nests folders more than ${MAX_FOLDER_DEPTH} deep (at ${rel}). Flatten it.`);
          return;
        }
        walk(abs, rel, depth + 1);
      } else {
        readOne(abs, rel);
      }
    }
  };
  walk(root, '', 0);
  files.sort((a, b) => byCodeUnit(a.path, b.path));
  return { files, manifest, problems };
}

/** The kind of a directory entry without following it (d_type, else lstat). */
function kindOf(entry: fs.Dirent, abs: string): EntryKind {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'directory';
  if (entry.isFile()) return 'file';
  if (entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice()) return 'special';
  try {
    const st = fs.lstatSync(abs);
    return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'special';
  } catch {
    return 'special';
  }
}

type HashOutcome =
  | { kind: 'file'; file: FolderFile }
  | { kind: 'too_large' }
  | { kind: 'refused'; code: ProblemCode; why: string };

/** Hashes one file (when `hashing`), reading at most `budget` bytes of it. */
function hashFile(abs: string, rel: string, budget: number, hashing: boolean): HashOutcome {
  let fd: number;
  try {
    fd = fs.openSync(abs, FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ELOOP') return { kind: 'refused', ...refusal('symlink') };
    return { kind: 'refused', code: 'read_error', why: `cannot be read (${code}). Check its permissions.` };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { kind: 'refused', ...refusal('special') };
    if (st.size > budget) return { kind: 'too_large' };
    // Read to the end rather than to st.size, one byte past the budget at most, so a file that
    // grew since fstat is hashed whole or caught as too large. Small files are kept whole for keepsText.
    const hash = hashing ? createHash('sha256') : undefined;
    const kept: Buffer[] = [];
    let keep = hashing;
    let size = 0;
    for (;;) {
      const n = fs.readSync(fd, scratch, 0, scratch.length, null);
      if (n === 0) break;
      size += n;
      if (size > budget) return { kind: 'too_large' };
      const chunk = scratch.subarray(0, n);
      hash?.update(chunk);
      if (keep && size <= MAX_TEXT_BYTES) kept.push(Buffer.from(chunk));
      else keep = false;
    }
    const text = keep && keepsText(rel, Buffer.concat(kept));
    return { kind: 'file', file: { path: rel, sha256: hash ? hash.digest('hex') : '', size, text } };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { kind: 'refused', code: 'read_error', why: `cannot be read (${code}). Check its permissions.` };
  } finally {
    fs.closeSync(fd);
  }
}

function refusal(kind: 'symlink' | 'special'): { code: ProblemCode; why: string } {
  const rule = entryRule('x', kind);
  if (rule.action !== 'refuse') throw new Error(`entryRule should refuse a ${kind}`);
  return { code: rule.code, why: rule.why };
}

/**
 * The folder's source sha256: what plan/sync compare with the registry's to skip an unchanged
 * connector without parsing it. Covers every file's path and raw bytes (the manifest's too, so
 * any byte change is validated again, even one the digest ignores).
 */
export function folderSourceSha256(files: readonly FolderFile[]): string {
  return sha256(Buffer.from(canonicalJson(files.map((f) => [f.path, f.sha256]))));
}

/**
 * The text of the files whose text the registry keeps, read again for the sync that writes them:
 * a file whose bytes no longer hash to what was validated gets no text (the next sync sees the
 * change). Returns path -> text.
 */
export function readKeptTexts(repoRoot: string, folder: string, files: readonly FolderFile[]): Map<string, string> {
  const texts = new Map<string, string>();
  for (const f of files) {
    if (!f.text) continue;
    let fd: number | undefined;
    try {
      fd = fs.openSync(path.join(repoRoot, 'connectors', folder, ...f.path.split('/')), FLAGS);
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.size !== f.size) continue;
      const buf = Buffer.allocUnsafe(f.size + 1);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      const bytes = buf.subarray(0, n);
      if (n === f.size && sha256(bytes) === f.sha256) texts.set(f.path, bytes.toString('utf8'));
    } catch {
      // Unreadable now: no text; the file list and hashes still hold.
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
  return texts;
}
