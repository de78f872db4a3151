/**
 * What a connector folder may hold, by name and kind, and what of it the digest covers. Pure.
 *
 * The digest an operator approves covers every file under connectors/<slug>/ (see
 * pipeline/schema/digest.ts), so anything the connector's code could load must be in it. Left out
 * are only the droppings of editors and operating systems that no code imports by accident (swap,
 * backup and lock files, .DS_Store, a nested .git); refused, as validation errors, is what would
 * either escape the digest (a symbolic link, a FIFO, socket or device; a node_modules folder, whose
 * packages Node would load instead of the reviewed ones) or put a secret where the registry and
 * the pull request see it (a .env file).
 */

import type { ProblemCode } from './problem-codes.ts';

/** At most this many files in one connector folder (manifest included). */
export const MAX_FOLDER_FILES = 1000;
/** At most this many bytes in one connector folder, all files together: 16 MiB. */
export const MAX_FOLDER_BYTES = 16 * 1024 * 1024;
/** At most this many folders deep below the connector folder. */
export const MAX_FOLDER_DEPTH = 16;
/** Text files up to this size have their text kept in the registry, so the site can show a diff: 64 KiB. */
export const MAX_TEXT_BYTES = 64 * 1024;

export type EntryKind = 'file' | 'directory' | 'symlink' | 'special';

export type EntryRule =
  | { action: 'include' }
  | { action: 'skip' }
  | { action: 'refuse'; code: ProblemCode; why: string };

/** Editor and OS droppings: never loaded by code, created and removed as people edit. */
const DROPPINGS = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini', '.git', '4913']);
const DROPPING_PATTERNS = [
  /^\..+\.sw[a-p]$/, // vim swap files (.server.ts.swp)
  /~$/, // backup files (server.ts~)
  /^\.#/, // emacs lock links (.#server.ts)
  /^#.*#$/, // emacs auto-save files (#server.ts#)
];

/** `.env` and `.env.local` are refused; these templates hold no values by convention. */
const ENV_TEMPLATES = new Set(['.env.example', '.env.sample', '.env.template']);

/**
 * Characters a file name may not hold: control characters (they rewrite terminal lines), the
 * replacement character (a name that is not UTF-8), and bidirectional and invisible formatting
 * characters (a name that reads as another in a review).
 */
const UNSAFE_NAME = /[\u0000-\u001f\u007f-\u009f\ufffd\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u;

/** The rule for one directory entry named `name` of the given kind. */
export function entryRule(name: string, kind: EntryKind): EntryRule {
  if (DROPPINGS.has(name) || (kind !== 'directory' && DROPPING_PATTERNS.some((re) => re.test(name)))) return { action: 'skip' };
  if (UNSAFE_NAME.test(name)) {
    return {
      action: 'refuse',
      code: 'unsafe_file_name',
      why: 'has a control, invisible or bidirectional character (or bytes that are not UTF-8) in its name. Rename it to plain text.',
    };
  }
  if (name === 'node_modules') {
    return {
      action: 'refuse',
      code: 'node_modules_in_connector',
      why: "is a node_modules inside a connector folder: Node would load its packages instead of the repository's reviewed dependencies. Remove it; connectors use the root package.json.",
    };
  }
  if (/^\.env(\..*)?$/.test(name) && !ENV_TEMPLATES.has(name)) {
    return {
      action: 'refuse',
      code: 'secret_file',
      why: 'looks like an environment file with secrets. Keys belong in the vault (set them on the site); remove the file, or name a template .env.example.',
    };
  }
  if (kind === 'symlink') {
    return {
      action: 'refuse',
      code: 'symlink',
      why: 'is a symbolic link. An approval covers the bytes inside the connector folder, so links are not allowed: replace the link with the file itself.',
    };
  }
  if (kind === 'special') {
    return {
      action: 'refuse',
      code: 'not_a_regular_file',
      why: 'is not a regular file or folder (a FIFO, socket or device). Remove it from the connector folder.',
    };
  }
  return { action: 'include' };
}

const TEXT_EXTENSIONS = new Set([
  'ts', 'tsx', 'mts', 'cts', 'js', 'jsx', 'mjs', 'cjs', 'json', 'jsonc', 'yaml', 'yml', 'md', 'txt', 'html', 'css',
  'sql', 'graphql', 'gql', 'toml', 'csv', 'xml', 'svg', 'sh',
]);
const TEXT_NAMES = new Set(['README', 'LICENSE', 'NOTICE', 'CHANGELOG', 'Dockerfile', 'Makefile', '.gitignore', '.env.example', '.env.sample', '.env.template']);

/**
 * True when a file's text may be kept in the registry for the site's diff: a source or document
 * file by its name (never a key file such as .pem), small, UTF-8 and without NUL bytes.
 */
export function keepsText(relPath: string, bytes: Uint8Array): boolean {
  if (bytes.byteLength > MAX_TEXT_BYTES || bytes.includes(0)) return false;
  const name = relPath.slice(relPath.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const known = TEXT_NAMES.has(name) || (dot > 0 && TEXT_EXTENSIONS.has(name.slice(dot + 1).toLowerCase()));
  if (!known) return false;
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
