/**
 * vault_writes_per_s and vault_floor_writes_per_s, side by side in one fresh process: vault-agent's
 * own measurement (50 concurrent clients through the daemon, fsync on, against a bare
 * write+fsync+rename loop on the same disk).
 */
export interface VaultInput {
  dir: string;
  clients: number;
  writes: number;
}

export interface VaultOutcome {
  vault_writes_per_s: number;
  vault_floor_writes_per_s: number;
}

export async function vaultTask(input: VaultInput): Promise<VaultOutcome> {
  const { measureVaultWrites } = await import('../../../vault-agent/src/bench.ts');
  const r = await measureVaultWrites({ dir: input.dir, clients: input.clients, writes: input.writes });
  return { vault_writes_per_s: r.vault_writes_per_s, vault_floor_writes_per_s: r.vault_floor_writes_per_s };
}
