/**
 * licence_check_p50_ms: what the firearm gate adds to a call that holds an active licence. In one
 * fresh process: a one-connector repository is synced into the given registry by the sentinel,
 * approved and licensed through the site's modules; the connector runs in-process with the real
 * runtime (which reaches the registry through DATABASE_URL, as a connector would), and an MCP
 * client calls, interleaved, a firearm tool and a plain tool with the same no-op handler. The
 * figure is the difference of their median latencies: the check, the consumed use and its outcome.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SLUG = 'bench_licence';

const MANIFEST = `schema_version: 1
provider_slug: ${SLUG}
display_name: Bench licence
auth_mode: none
secrets: []
scopes:
  - name: read_items
    description: Read items
    requires_firearm: false
  - name: purge_items
    description: Permanently delete items
    requires_firearm: true
    firearm_type: CODE_DELETE
kpis: []
`;

export interface LicenceInput {
  databaseUrl: string;
  /** Measured calls of each tool (after a warm-up). */
  calls: number;
}

export interface LicenceOutcome {
  licence_check_p50_ms: number;
  firearm_call_p50_ms: number;
  plain_call_p50_ms: number;
  calls: number;
  uses_recorded: number;
}

export async function licenceTask(input: LicenceInput): Promise<LicenceOutcome> {
  const pg = (await import('pg')).default;
  const { runSync } = await import('../../sentinel/sync.ts');
  const { approveProvider } = await import('../../registry/approvals.ts');
  const { grantLicence } = await import('../../registry/licences.ts');
  const { createConnectorServer, ok, scopeHandler } = await import('../../connector-runtime/index.ts');
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');

  const repo = mkdtempSync(path.join(os.tmpdir(), 'cf-bench-licence-'));
  const pool = new pg.Pool({ connectionString: input.databaseUrl, max: 1 });
  try {
    cpSync(path.join(REPO_ROOT, 'pipeline', 'catalog'), path.join(repo, 'pipeline', 'catalog'), { recursive: true });
    mkdirSync(path.join(repo, 'connectors', SLUG), { recursive: true });
    const manifestPath = path.join(repo, 'connectors', SLUG, 'manifest.yaml');
    writeFileSync(manifestPath, MANIFEST);
    const synced = await runSync({ db: pool, repoRoot: repo, actor: 'bench', commitSha: null });
    if (!synced.result) throw new Error(`the licence bench connector did not sync: ${JSON.stringify(synced.validation.errors)}`);
    const { rows } = await pool.query<{ manifest_digest: string }>(`SELECT manifest_digest FROM connector_providers WHERE provider_slug = $1`, [SLUG]);
    const approved = await approveProvider(pool, { slug: SLUG, digest: rows[0]!.manifest_digest, actor: 'bench' });
    if (!approved.ok) throw new Error(approved.message);
    const granted = await grantLicence(pool, { providerSlug: SLUG, firearmType: 'CODE_DELETE', durationMinutes: 60, operator: 'bench' });
    if (!granted.ok) throw new Error(granted.message);

    process.env.DATABASE_URL = input.databaseUrl;
    const noop = scopeHandler({ run: async () => ok({ done: true }) });
    const built = await createConnectorServer({ manifestPath, handlers: { read_items: noop, purge_items: noop }, log: () => undefined });
    if (!built.ok) throw new Error(built.message);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await built.server.connect(serverSide);
    const client = new Client({ name: 'bench', version: '1.0.0' });
    await client.connect(clientSide);

    const time = async (name: string) => {
      const start = performance.now();
      const result = await client.callTool({ name, arguments: {} });
      const ms = performance.now() - start;
      if (result.isError) throw new Error(`${name} failed in the licence bench: ${JSON.stringify(result.structuredContent)}`);
      return ms;
    };
    for (let i = 0; i < 20; i++) {
      await time('read_items');
      await time('purge_items');
    }
    const firearm: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < input.calls; i++) {
      plain.push(await time('read_items'));
      firearm.push(await time('purge_items'));
    }
    await client.close();
    const uses = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM firearm_uses WHERE licence_id = $1 AND outcome = 'succeeded'`, [granted.licence.id]);
    const f = median(firearm);
    const p = median(plain);
    return { licence_check_p50_ms: Math.max(0, f - p), firearm_call_p50_ms: f, plain_call_p50_ms: p, calls: input.calls, uses_recorded: uses.rows[0]!.n };
  } finally {
    await pool.end();
    rmSync(repo, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
