/** A real vault dir in os.tmpdir() holding the dummy_service key, as the vault-agent writes it. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const SERVER_TS = join(REPO_ROOT, 'connectors/dummy_service/server.ts');
export const KEY_NAME = 'PROVIDER_DUMMY_SERVICE_API_KEY';

/** A value that must never be seen outside the key file and the stand-in's received header. */
export function canary(): string {
  return `canary-dummy-${process.pid}-${Date.now().toString(36)}-do-not-leak`;
}

export function vaultWith(values: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dummy-vault-'));
  chmodSync(dir, 0o700);
  for (const [name, value] of Object.entries(values)) {
    const file = join(dir, `${name}.txt`);
    writeFileSync(file, value, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return dir;
}
