/**
 * The vault reader that connectors use: `loadSecret(NAME)` and `loadSecrets(keys)`.
 *
 * Reads `{VAULT_DIR}/{NAME}.txt` (exactly the value) or `{VAULT_DIR}/{NAME}.sops.json` (decrypted
 * with an age identity given explicitly — `opts.ageIdentity` or the file named by
 * VAULT_AGE_IDENTITY_FILE — never by sops-age's key auto-discovery; the SOPS MAC is verified here,
 * since sops-age does not). Files are opened with O_NOFOLLOW, so a planted symlink is refused.
 * Errors are VaultReadError: they name the key and where to set it, never a value or ciphertext.
 */
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { parseIdentities } from '../sops/age-keys.ts';
import { decryptSops, type PlainValue } from '../sops/decrypt.ts';
import { formatFromPath, parseSopsDocument } from '../sops/tree.ts';
import { resolveVaultDir } from '../src/paths.ts';
import { MAX_VALUE_BYTES, NAME_PATTERN } from '../src/validate.ts';
import { VaultReadError, whereToSet } from './errors.ts';

export { VaultReadError, whereToSet, DEFAULT_SITE_URL, type VaultReadErrorCode } from './errors.ts';
export type { PlainValue } from '../sops/decrypt.ts';

export interface ReaderOptions {
  /** Vault dir; default VAULT_DIR, else ~/northstar-keys. */
  vaultDir?: string;
  /** Age identity text (`AGE-SECRET-KEY-1…` lines); default: the file named by VAULT_AGE_IDENTITY_FILE. */
  ageIdentity?: string;
  /** Where the operator sets keys, e.g. http://127.0.0.1:4321/connectors/shopify (for messages). */
  setUrl?: string;
}

const MAX_SOPS_FILE_BYTES = 1024 * 1024;

/** Returns the value of key NAME; rejects with VaultReadError('missing' included) when it cannot. */
export async function loadSecret(name: string, opts: ReaderOptions = {}): Promise<string> {
  const r = await readKey(name, opts);
  if (r === null) {
    const dir = resolveVaultDir(opts.vaultDir);
    throw new VaultReadError('missing', name, `Key ${name} is not set in the vault (${dir}). ${whereToSet(name, opts.setUrl)}`);
  }
  return r;
}

/**
 * Loads several keys (e.g. all a manifest declares). Resolves to the values found and the names
 * of every key that is not set — required or optional — so the caller can say which required ones
 * block it; rejects with VaultReadError when a key file exists but cannot be used (unreadable,
 * tampered, no identity), since that needs the operator, not a default.
 */
export async function loadSecrets(keys: { key: string; optional?: boolean }[], opts: ReaderOptions = {}): Promise<{ values: Record<string, string>; missing: string[] }> {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const { key } of keys) {
    const v = await readKey(key, opts);
    if (v === null) missing.push(key);
    else values[key] = v;
  }
  return { values, missing };
}

/** Decrypts any sops file (JSON, YAML or dotenv, by extension) with an explicit identity and verifies its MAC. */
export async function decryptSopsFile(path: string, opts: Pick<ReaderOptions, 'ageIdentity'> = {}): Promise<Record<string, PlainValue>> {
  const fh = await openNoFollow(path, '', opts);
  if (!fh) throw new VaultReadError('unreadable', '', `The sops file ${path} does not exist.`);
  try {
    const text = await readLimited(fh, MAX_SOPS_FILE_BYTES, '', path, opts);
    return await decryptText(text, formatFromPath(path), '', path, opts);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** The value, or null when neither key file exists. */
async function readKey(name: string, opts: ReaderOptions): Promise<string | null> {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new VaultReadError('invalid_name', '', 'A key name given to the vault reader is not valid: names are A-Z first, then A-Z, 0-9 or _, at most 128 characters.');
  }
  const dir = resolveVaultDir(opts.vaultDir);
  const sopsPath = join(dir, `${name}.sops.json`);
  const plainPath = join(dir, `${name}.txt`);
  const [sops, plain] = await Promise.all([openNoFollow(sopsPath, name, opts), openNoFollow(plainPath, name, opts)]);
  try {
    if (!sops && !plain) return null;
    // Both exist only if a writer stopped between the rename and removing the old format: the newer wins.
    let useSops = !!sops;
    if (sops && plain) useSops = (await sops.stat()).mtimeMs >= (await plain.stat()).mtimeMs;
    if (useSops) {
      const text = await readLimited(sops!, MAX_SOPS_FILE_BYTES, name, sopsPath, opts);
      const data = await decryptText(text, 'json', name, sopsPath, opts);
      if (typeof data.value !== 'string' || data.value === '') {
        throw new VaultReadError('malformed', name, `Key ${name}: ${sopsPath} has no string "value". ${whereToSet(name, opts.setUrl)}`);
      }
      return data.value;
    }
    const text = await readLimited(plain!, MAX_VALUE_BYTES, name, plainPath, opts);
    if (text === '') throw new VaultReadError('malformed', name, `Key ${name}: ${plainPath} is empty. ${whereToSet(name, opts.setUrl)}`);
    return text;
  } finally {
    await sops?.close().catch(() => {});
    await plain?.close().catch(() => {});
  }
}

async function openNoFollow(path: string, key: string, opts: ReaderOptions): Promise<FileHandle | null> {
  let fh: FileHandle;
  try {
    fh = await fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new VaultReadError('unsafe_file', key, `${label(key)}${path} is a symbolic link; the vault reader refuses links. ${fix(key, opts)}`);
    throw new VaultReadError('unreadable', key, `${label(key)}${path} could not be opened (${code}). ${fix(key, opts)}`);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new VaultReadError('unsafe_file', key, `${label(key)}${path} is not a regular file. ${fix(key, opts)}`);
  }
  return fh;
}

async function readLimited(fh: FileHandle, limit: number, key: string, path: string, opts: ReaderOptions): Promise<string> {
  const st = await fh.stat();
  if (st.size > limit) throw new VaultReadError('unsafe_file', key, `${label(key)}${path} is larger than ${limit} bytes, more than a key file holds. ${fix(key, opts)}`);
  let buf: Buffer;
  try {
    buf = await fh.readFile();
  } catch (err) {
    throw new VaultReadError('unreadable', key, `${label(key)}${path} could not be read (${errno(err)}). ${fix(key, opts)}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new VaultReadError('malformed', key, `${label(key)}${path} is not valid UTF-8. ${fix(key, opts)}`);
  } finally {
    buf.fill(0);
  }
}

async function decryptText(text: string, format: 'json' | 'yaml' | 'dotenv', key: string, path: string, opts: ReaderOptions): Promise<Record<string, PlainValue>> {
  const identities = await identitiesFor(key, path, opts);
  const parsed = parseSopsDocument(text, format);
  if (!parsed.ok) throw new VaultReadError('malformed', key, `${label(key)}${path} is not a usable sops document: ${parsed.message}. ${fix(key, opts)}`);
  const r = await decryptSops(parsed.doc, identities);
  if (r.ok) return r.data;
  if (r.code === 'no_matching_identity') {
    throw new VaultReadError('decrypt_failed', key, `${label(key)}${path} cannot be decrypted: ${r.message}. Use the identity for one of the file's age recipients (VAULT_AGE_RECIPIENTS of the vault-agent that wrote it).`);
  }
  const code = r.code === 'unsupported' ? 'malformed' : 'tampered';
  throw new VaultReadError(code, key, `${label(key)}${path} failed verification and was not used: ${r.message}. ${fix(key, opts)}`);
}

async function identitiesFor(key: string, path: string, opts: ReaderOptions): Promise<string[]> {
  let text = opts.ageIdentity;
  if (text === undefined) {
    const file = process.env.VAULT_AGE_IDENTITY_FILE;
    if (!file) {
      throw new VaultReadError('no_identity', key, `${label(key)}${path} is SOPS-encrypted, but no age identity was given: pass ageIdentity or set VAULT_AGE_IDENTITY_FILE to an age identity file.`);
    }
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      throw new VaultReadError('bad_identity', key, `The age identity file named by VAULT_AGE_IDENTITY_FILE (${file}) could not be read (${errno(err)}).`);
    }
  }
  const ids = parseIdentities(text);
  if (!ids.ok) throw new VaultReadError('bad_identity', key, `The age identity given to the vault reader is unusable: ${ids.message}.`);
  return ids.value;
}

function label(key: string): string {
  return key ? `Key ${key}: ` : '';
}

function fix(key: string, opts: ReaderOptions): string {
  return key ? whereToSet(key, opts.setUrl) : '';
}

function errno(err: unknown): string {
  return typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : 'unknown error';
}
