/**
 * The SOPS value cipher: AES-256-GCM with a 32-byte IV, the value's tree path ("a:b:") as additional
 * data, written as `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` with standard base64 — byte for byte
 * what getsops/sops `aes/cipher.go` produces, so the real tool and sops-age can read it.
 * Errors thrown here never contain the ciphertext or the plaintext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Value types sops records after `type:`; `comment` only appears in YAML comments. */
export type SopsDataType = 'str' | 'int' | 'int64' | 'float' | 'bool' | 'bytes' | 'comment';

export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: SopsDataType;
}

const ENC_PATTERN = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:([a-z0-9]+)\]$/;
const TYPES: readonly string[] = ['str', 'int', 'int64', 'float', 'bool', 'bytes', 'comment'];
const IV_BYTES = 32; // sops' nonceSize
const TAG_BYTES = 16;

/** The error for a value that is not a sops ENC[] string or fails authentication; says where, not what. */
export class SopsCipherError extends Error {
  constructor(
    readonly reason: 'malformed' | 'authentication_failed',
    message: string,
  ) {
    super(message);
    this.name = 'SopsCipherError';
  }
}

/** Whether a string looks like a sops-encrypted value (used to decide what to decrypt). */
export function isEncryptedString(s: string): boolean {
  return s.startsWith('ENC[AES256_GCM,');
}

/** Parses `ENC[AES256_GCM,...]`; throws SopsCipherError('malformed') naming only the path. */
export function parseEncrypted(s: string, where: string): EncryptedValue {
  const m = ENC_PATTERN.exec(s);
  if (!m || !TYPES.includes(m[4]!)) {
    throw new SopsCipherError('malformed', `${where}: not a valid sops AES256_GCM value`);
  }
  const tag = Buffer.from(m[3]!, 'base64');
  const iv = Buffer.from(m[2]!, 'base64');
  if (tag.length !== TAG_BYTES || iv.length === 0) {
    throw new SopsCipherError('malformed', `${where}: sops value has a bad iv or tag length`);
  }
  return { data: Buffer.from(m[1]!, 'base64'), iv, tag, type: m[4] as SopsDataType };
}

/** Decrypts one parsed value with the data key and additional data; returns the raw plaintext bytes. */
export function openValue(v: EncryptedValue, dataKey: Uint8Array, additionalData: string, where: string): Buffer {
  try {
    const d = createDecipheriv('aes-256-gcm', dataKey, v.iv, { authTagLength: TAG_BYTES });
    d.setAAD(Buffer.from(additionalData, 'utf8'));
    d.setAuthTag(v.tag);
    return Buffer.concat([d.update(v.data), d.final()]);
  } catch {
    // OpenSSL's message says nothing useful and we never pass inputs on.
    throw new SopsCipherError('authentication_failed', `${where}: the value does not decrypt with this data key (altered or wrong key)`);
  }
}

/** Encrypts UTF-8 text as a sops `type:str` value with a fresh random 32-byte IV. */
export function sealString(plaintext: string, dataKey: Uint8Array, additionalData: string): string {
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
  c.setAAD(Buffer.from(additionalData, 'utf8'));
  const data = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  const tag = c.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:str]`;
}
