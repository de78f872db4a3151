/**
 * The adapter to the vault reader (vault-agent/reader), the one way connectors read keys.
 */
import { loadSecrets } from '../../vault-agent/reader/index.ts';
import type { SecretLoader } from './secrets.ts';

export const vaultReaderLoader: SecretLoader = (keys, opts) => loadSecrets(keys, opts);
