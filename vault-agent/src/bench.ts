/**
 * The vault write benchmark (issue 7): sustained key writes from N concurrent clients through a
 * real vault-agent (fsync on, over its unix socket, audit log on), against a bare loop of
 * write+fsync+rename in this same process on the same disk. The two run alternately in two
 * rounds so drift in the disk's speed hits both alike.
 */
import { constants, promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createVaultClient } from './client.ts';
import { startVaultAgent } from './server.ts';

export interface VaultBenchInput {
  /** A scratch dir on the disk to measure (created 0700 if missing). */
  dir: string;
  /** Concurrent clients, each on its own connection (default 50). */
  clients?: number;
  /** Writes per measurement, split over two rounds (default 2000). */
  writes?: number;
}

export interface VaultBenchResult {
  vault_writes_per_s: number;
  vault_floor_writes_per_s: number;
}

const VALUE_BYTES = 48;

export async function measureVaultWrites(input: VaultBenchInput): Promise<VaultBenchResult> {
  const clients = Math.max(1, input.clients ?? 50);
  const writes = Math.max(clients * 2, input.writes ?? 2000);
  await fs.mkdir(input.dir, { recursive: true, mode: 0o700 });
  const root = await fs.mkdtemp(join(input.dir, 'vault-bench-'));
  const floorDir = join(root, 'floor');
  await fs.mkdir(floorDir, { mode: 0o700 });
  const agent = await startVaultAgent({ vaultDir: join(root, 'vault'), socketPath: join(root, 'run', 'agent.sock') });
  const conns = Array.from({ length: clients }, () => createVaultClient(agent.socketPath));
  try {
    await agentRound(conns, clients); // warm up connections and the code paths
    await floorRound(floorDir, clients);
    let agentTime = 0;
    let agentWrites = 0;
    let floorTime = 0;
    let floorWrites = 0;
    for (let round = 0; round < 2; round++) {
      const n = Math.floor(writes / 2);
      let t = performance.now();
      floorWrites += await floorRound(floorDir, n);
      floorTime += performance.now() - t;
      t = performance.now();
      agentWrites += await agentRound(conns, n);
      agentTime += performance.now() - t;
    }
    return {
      vault_writes_per_s: Math.round((agentWrites / agentTime) * 1000),
      vault_floor_writes_per_s: Math.round((floorWrites / floorTime) * 1000),
    };
  } finally {
    for (const c of conns) c.close();
    await agent.close();
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** `n` PUTs spread over the clients, each client writing its own key sequentially. */
async function agentRound(conns: ReturnType<typeof createVaultClient>[], n: number): Promise<number> {
  let next = 0;
  let done = 0;
  await Promise.all(
    conns.map(async (c, i) => {
      while (next < n) {
        next++;
        const r = await c.put(`BENCH_KEY_${i}`, randomBytes(VALUE_BYTES / 2).toString('hex'));
        if (!r.ok) throw new Error(`vault bench: a write failed (${r.code})`);
        done++;
      }
    }),
  );
  return done;
}

/** The floor: the least a durable replace costs — write, fsync, rename — in a plain loop. */
async function floorRound(dir: string, n: number): Promise<number> {
  for (let i = 0; i < n; i++) {
    const tmp = join(dir, `.tmp-${i}`);
    const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await fh.writeFile(randomBytes(VALUE_BYTES / 2).toString('hex'));
    await fh.sync();
    await fh.close();
    await fs.rename(tmp, join(dir, `KEY_${i % 50}.txt`));
  }
  return n;
}
