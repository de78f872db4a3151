/**
 * The vault reader's one error type. Every message names the key and says where to set it; none
 * contains a value, key material or ciphertext (messages are built here from fixed text, key
 * names, paths and errno codes only).
 */

export type VaultReadErrorCode =
  | 'missing' // the key is not set in the vault
  | 'invalid_name' // the name given to the reader is not a valid key name
  | 'unsafe_file' // the key file is a symlink, not a regular file, or too large
  | 'unreadable' // the key file exists but could not be read (permissions, I/O)
  | 'malformed' // the file is not a key file the vault writes (empty, not UTF-8, not a sops document)
  | 'no_identity' // a SOPS key file but no age identity was given
  | 'bad_identity' // the age identity given is unusable
  | 'decrypt_failed' // none of the given identities opens the file
  | 'tampered'; // a value, the MAC or sops.lastmodified was altered

export const DEFAULT_SITE_URL = 'http://127.0.0.1:4321';

export class VaultReadError extends Error {
  constructor(
    readonly code: VaultReadErrorCode,
    /** The key concerned ('' when the problem is not tied to one key, e.g. an unreadable identity). */
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'VaultReadError';
  }
}

/** "Set it on the God Config site at … or with PUT /v1/secrets/NAME" — where an operator fixes it. */
export function whereToSet(key: string, setUrl?: string): string {
  const site = setUrl ?? `${DEFAULT_SITE_URL}/connectors/<slug>`;
  return `Set it on the God Config site at ${site} or with PUT /v1/secrets/${key} to the vault-agent (npm start or npm run vault-agent).`;
}
