/**
 * Decrypts a parsed sops document and verifies its MAC the way getsops/sops `Tree.Decrypt` does:
 * walk values in document order (array items share their parent's path), decrypt those that
 * should be encrypted with the path `a:b:` as additional data, hash every value's canonical bytes
 * with SHA-512, and compare with the stored MAC, itself decrypted with `lastmodified` as additional
 * data. sops-age skips this check; we do not. Failures name a path, never a value or ciphertext.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { unwrapDataKey } from './age-keys.ts';
import { isEncryptedString, openValue, parseEncrypted, SopsCipherError, type SopsDataType } from './cipher.ts';
import type { ParsedSops, SopsMetadata, SopsNode } from './tree.ts';

export type PlainValue = string | number | boolean | null | Uint8Array | PlainValue[] | { [k: string]: PlainValue };

export type DecryptFailure = {
  ok: false;
  code: 'no_matching_identity' | 'unsupported' | 'value_failed' | 'mac_mismatch';
  message: string;
};
export type DecryptResult = { ok: true; data: { [k: string]: PlainValue } } | DecryptFailure;

// sops: sha256("sops"), written first when mac_only_encrypted is on.
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');

/** Decrypts every value and verifies the MAC; resolves to a result, never throws for bad files. */
export async function decryptSops(doc: ParsedSops, identities: string[]): Promise<DecryptResult> {
  const { meta } = doc;
  if (meta.hasKeyGroups) return fail('unsupported', 'the document uses sops key groups (Shamir), which the vault reader does not support');
  if (meta.age.length === 0) return fail('no_matching_identity', 'the document has no age recipients');
  const dataKey = await unwrapDataKey(meta.age, identities);
  if (!dataKey) return fail('no_matching_identity', 'none of the given age identities is a recipient of this document');

  const hash = createHash('sha512');
  if (meta.mac_only_encrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  let data: { [k: string]: PlainValue };
  try {
    data = walkMap(doc.data, [], meta, dataKey, hash) as { [k: string]: PlainValue };
  } catch (err) {
    if (err instanceof SopsCipherError) return fail('value_failed', err.message);
    if (err instanceof WalkError) return fail('unsupported', err.message);
    throw err;
  }
  const computed = Buffer.from(hash.digest('hex').toUpperCase(), 'utf8');
  let stored: Buffer;
  try {
    stored = openValue(parseEncrypted(meta.mac, 'sops.mac'), dataKey, rfc3339(meta.lastmodified), 'sops.mac');
  } catch {
    return fail('mac_mismatch', 'the sops MAC does not verify (the MAC or sops.lastmodified was altered)');
  }
  if (stored.length !== computed.length || !timingSafeEqual(stored, computed)) {
    return fail('mac_mismatch', 'the sops MAC does not match the values (a value was added, removed, reordered or altered)');
  }
  return { ok: true, data };
}

class WalkError extends Error {}

function fail(code: DecryptFailure['code'], message: string): DecryptFailure {
  return { ok: false, code, message };
}

type Hash = ReturnType<typeof createHash>;

function walkMap(node: SopsNode & { kind: 'map' }, path: string[], meta: SopsMetadata, key: Uint8Array, hash: Hash): PlainValue {
  const out: { [k: string]: PlainValue } = {};
  for (const [k, v] of node.entries) out[k] = walk(v, [...path, k], meta, key, hash);
  return out;
}

function walk(node: SopsNode, path: string[], meta: SopsMetadata, key: Uint8Array, hash: Hash): PlainValue {
  if (node.kind === 'map') return walkMap(node, path, meta, key, hash);
  if (node.kind === 'seq') return node.items.map((n) => walk(n, path, meta, key, hash)); // no index in the path, as sops
  const v = node.value;
  if (v === null) return null; // sops neither decrypts nor hashes nil
  const where = path.join('.') || '(top level)';
  const encrypted = shouldBeEncrypted(path, meta);
  if (encrypted) {
    if (typeof v !== 'string') throw new WalkError(`${where}: expected an encrypted value`);
    if (v === '') return '';
    if (!isEncryptedString(v)) throw new SopsCipherError('malformed', `${where}: expected an encrypted value`);
    const ev = parseEncrypted(v, where);
    const plain = openValue(ev, key, path.join(':') + ':', where);
    const { value, bytes } = typed(plain, ev.type, where);
    if (ev.type !== 'comment') hash.update(bytes);
    return value;
  }
  if (!meta.mac_only_encrypted) hash.update(toBytes(v));
  return v;
}

/** Go's Decrypt type conversion followed by ToBytes, so the hash sees what sops hashes. */
function typed(plain: Buffer, type: SopsDataType, where: string): { value: PlainValue; bytes: Buffer } {
  const text = plain.toString('utf8');
  switch (type) {
    case 'str':
    case 'comment':
      return { value: text, bytes: plain };
    case 'bytes':
      return { value: new Uint8Array(plain), bytes: plain };
    case 'int':
    case 'int64': {
      if (!/^[+-]?\d+$/.test(text)) throw new WalkError(`${where}: integer value does not parse`);
      const n = BigInt(text.replace(/^\+/, ''));
      return { value: Number(n), bytes: Buffer.from(n.toString()) };
    }
    case 'float': {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n)) throw new WalkError(`${where}: float value does not parse`);
      return { value: n, bytes: Buffer.from(goFloat(n)) };
    }
    case 'bool': {
      const b = parseGoBool(text);
      if (b === null) throw new WalkError(`${where}: boolean value does not parse`);
      return { value: b, bytes: Buffer.from(b ? 'True' : 'False') };
    }
  }
}

/** sops.ToBytes for values left in clear text. */
function toBytes(v: string | number | boolean): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v === 'boolean') return Buffer.from(v ? 'True' : 'False');
  return Buffer.from(goFloat(v));
}

function parseGoBool(s: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return null;
}

/** strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, head, tail = '', expS] = m;
  const digits = head! + tail;
  const exp = Number(expS);
  const point = 1 + exp; // position of the decimal point within digits
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The additional data sops uses for the MAC: lastmodified as Go formats time.RFC3339. */
export function rfc3339(s: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return s;
  const zone = m[2] === '+00:00' || m[2] === '-00:00' ? 'Z' : m[2];
  return `${m[1]}${zone}`;
}

function shouldBeEncrypted(path: string[], meta: SopsMetadata): boolean {
  let encrypted = true;
  if (meta.unencrypted_suffix && path.some((p) => p.endsWith(meta.unencrypted_suffix!))) encrypted = false;
  if (meta.encrypted_suffix) encrypted = path.some((p) => p.endsWith(meta.encrypted_suffix!));
  if (meta.unencrypted_regex && path.some((p) => new RegExp(meta.unencrypted_regex!).test(p))) encrypted = false;
  if (meta.encrypted_regex) encrypted = path.some((p) => new RegExp(meta.encrypted_regex!).test(p));
  return encrypted;
}
