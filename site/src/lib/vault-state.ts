/**
 * What the pages know about vault-agent: which key names it holds and since when, from one
 * list() call per page. When it is unreachable the pages still render and say so.
 */
import type { VaultPort } from './ports.ts';

export type VaultState =
  | { available: true; held: Map<string, string> }
  | { available: false; code: string };

export async function readVaultState(vault: VaultPort): Promise<VaultState> {
  try {
    const result = await vault.list();
    if (!result.ok) return { available: false, code: result.code };
    return { available: true, held: new Map(result.secrets.map((s) => [s.name, s.updated_at])) };
  } catch {
    return { available: false, code: 'vault_unavailable' };
  }
}

/**
 * Operator-facing reasons for vault-agent's error codes (DESIGN.md, vault-agent contract). The
 * page shows these rather than text carried in a URL, so a crafted link cannot put words on it.
 */
const REASONS: Record<string, string> = {
  invalid_value:
    'vault-agent refused the value: it must be 1 to 65,536 bytes of text without NUL characters and without leading or trailing spaces or newlines. Check what you pasted and try again.',
  too_large: 'vault-agent refused the value: it is larger than 64 KiB.',
  invalid_name: 'vault-agent refused the key name.',
  unsupported_media_type: 'vault-agent refused the request format.',
  vault_unavailable:
    'vault-agent is not reachable, so keys cannot be set right now. Start it (npm run vault-agent, or npm start) and try again.',
  invalid_body: 'The form was incomplete: enter a value and try again.',
  retired: 'This connector is retired; its keys cannot be set.',
  key_shared:
    'This key name is declared by more than one connector, so it cannot be set here: each of them would read the value. Rename the key in the other manifests (a key name belongs to one connector), then sync.',
};

export function reasonFor(code: string): string {
  return REASONS[code] ?? `vault-agent could not store the key (${code}). Check its log and try again.`;
}

/** Codes that mean "could not reach vault-agent" rather than "it refused". */
export function isUnavailable(code: string): boolean {
  return code === 'vault_unavailable' || code === 'unavailable' || code === 'ECONNREFUSED' || code === 'ENOENT';
}
