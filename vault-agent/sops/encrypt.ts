/**
 * Builds the vault's SOPS document for one key: `{"value":"ENC[…]","sops":{…}}`, exactly as
 * `sops --encrypt --age R1,R2 file.json` would write a JSON file holding `{"value": …}`: a fresh
 * 32-byte data key, the value sealed with additional data `value:`, the data key age-encrypted to
 * each recipient (one armored age file per recipient), and the MAC (uppercase hex SHA-512 of the
 * value's bytes) sealed with `lastmodified` as additional data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { wrapDataKey } from './age-keys.ts';
import { sealString } from './cipher.ts';

/** The sops version we mirror; the fixtures were written by sops 3.9.2 and 3.8.1. */
export const SOPS_FORMAT_VERSION = '3.9.2';

/** The data key's path in our documents; sops joins path components with ':' and appends one. */
const VALUE_PATH = 'value:';

/** sops writes lastmodified as RFC 3339 in UTC without fractions. */
export function sopsTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Returns the JSON text of a sops document holding `value` for the given age recipients. */
export async function encryptVaultValue(value: string, recipients: string[], now: Date = new Date()): Promise<string> {
  const dataKey = randomBytes(32);
  try {
    const lastmodified = sopsTimestamp(now);
    const mac = createHash('sha512').update(value, 'utf8').digest('hex').toUpperCase();
    const age = [];
    for (const recipient of recipients) age.push({ recipient, enc: await wrapDataKey(dataKey, recipient) });
    const doc = {
      value: sealString(value, dataKey, VALUE_PATH),
      sops: {
        kms: null,
        gcp_kms: null,
        azure_kv: null,
        hc_vault: null,
        age,
        lastmodified,
        mac: sealString(mac, dataKey, lastmodified),
        pgp: null,
        unencrypted_suffix: '_unencrypted',
        version: SOPS_FORMAT_VERSION,
      },
    };
    return JSON.stringify(doc, null, '\t') + '\n';
  } finally {
    dataKey.fill(0);
  }
}
