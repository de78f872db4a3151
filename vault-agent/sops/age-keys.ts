/**
 * Age identities and recipients as the vault uses them: identities come only from what the caller
 * passes (never from sops-age's auto-discovery of ~/.ssh or ~/.config/sops), recipients from
 * VAULT_AGE_RECIPIENTS. Messages never include identity material.
 */
import * as age from 'age-encryption';

export type KeysResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Extracts `AGE-SECRET-KEY-…` lines from identity-file text (comments and blanks ignored). */
export function parseIdentities(text: string): KeysResult<string[]> {
  const ids = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const good = ids.filter((l) => /^AGE-SECRET-KEY-[A-Z0-9-]*1[A-Z0-9]+$/.test(l));
  if (good.length === 0 || good.length !== ids.length) {
    return { ok: false, message: 'the age identity is not in the AGE-SECRET-KEY-1… format (one per line, # comments allowed)' };
  }
  return { ok: true, value: good };
}

/** Splits a comma/space separated recipient list and checks each is an age recipient (`age1…`). */
export function parseRecipients(list: string): KeysResult<string[]> {
  const items = list.split(/[\s,]+/).filter((s) => s !== '');
  if (items.length === 0) return { ok: false, message: 'VAULT_AGE_RECIPIENTS is set but lists no recipient' };
  for (const r of items) {
    try {
      if (!r.startsWith('age1')) throw new Error('prefix');
      new age.Encrypter().addRecipient(r);
    } catch {
      // Recipients are public keys, so naming the bad one is safe and helpful.
      return { ok: false, message: `VAULT_AGE_RECIPIENTS: "${r}" is not a valid age recipient (expected age1…, as printed by age-keygen -y)` };
    }
  }
  return { ok: true, value: items };
}

/** Encrypts the data key to one recipient as an armored age file, the form sops stores in `enc`. */
export async function wrapDataKey(dataKey: Uint8Array, recipient: string): Promise<string> {
  const e = new age.Encrypter();
  e.addRecipient(recipient);
  return age.armor.encode(await e.encrypt(dataKey));
}

/**
 * Recovers the data key from the age stanzas with the given identities. Stanzas whose recipient
 * matches an identity are tried first; returns null when no identity opens any stanza.
 */
export async function unwrapDataKey(stanzas: { recipient: string; enc: string }[], identities: string[]): Promise<Uint8Array | null> {
  const mine = new Set<string>();
  for (const id of identities) {
    try {
      mine.add(await age.identityToRecipient(id));
    } catch {
      /* not convertible (e.g. a plugin identity): still tried below */
    }
  }
  const ordered = [...stanzas.filter((s) => mine.has(s.recipient)), ...stanzas.filter((s) => !mine.has(s.recipient))];
  const d = new age.Decrypter();
  for (const id of identities) {
    try {
      d.addIdentity(id);
    } catch {
      /* malformed identity: the caller validated the format; skip rather than echo it */
    }
  }
  for (const s of ordered) {
    try {
      const key = await d.decrypt(age.armor.decode(s.enc.trim() + '\n'));
      if (key.length === 32) return key;
    } catch {
      /* not for us, or damaged: try the next stanza */
    }
  }
  return null;
}
