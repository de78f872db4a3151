/**
 * The adapter to the vault reader (vault-agent/reader/index.ts), the one way connectors read keys.
 */
import type { SecretLoader } from './secrets.ts';

// Loaded on first use: a connector without secrets (auth_mode none) never touches the vault.
const READER_URL = new URL('../../vault-agent/reader/index.ts', import.meta.url).href;

export const vaultReaderLoader: SecretLoader = async (keys, opts) => {
  const reader = (await import(READER_URL)) as { loadSecrets: SecretLoader };
  return reader.loadSecrets(keys, opts);
};
