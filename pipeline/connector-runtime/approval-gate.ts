/**
 * The approval gate a connector passes at start, before any key is loaded: it computes the digest
 * of its own folder with the sentinel's function (pipeline/validate/check-file.ts, so manifest and
 * code exactly as the sync digests them) and asks the registry (DATABASE_URL, else the running
 * `npm start` of the data dir, through registry-link.ts; never an embedded registry of its own)
 * whether the connector is `approved` at exactly that digest. Anything else refuses, and so does a
 * registry that is unreachable or slow: fail closed.
 *
 * CONNECTOR_DEV=1 skips the question and serves the connector with no vault key at all, for
 * development against a stand-in: unreviewed code never gets a key from the runtime.
 *
 * What this gate cannot stop: code that reads the vault's files itself. A connector runs as the
 * operator's own OS user, so only review (and the approval that records it) keeps such code out.
 */
import path from 'node:path';
import type pg from 'pg';
import type { FileHash } from '../schema/digest.ts';
import { loadCatalog } from '../validate/catalog.ts';
import { checkConnectorFolder } from '../validate/check-file.ts';
import { formatProblem } from '../validate/format.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import { devModeLine, judgeApproval, uncheckedApproval, type RegistryApproval } from './approval-decision.ts';
import { openRegistryLink } from './registry-link.ts';

export type GateOutcome =
  | { ok: true; mode: 'keys' }
  | { ok: true; mode: 'dev'; line: string }
  | { ok: false; code: 'not_approved' | 'approval_unchecked' | 'folder_invalid'; message: string };

export interface GateArgs {
  manifestPath: string;
  /** The manifest's provider_slug (its folder must carry the same name). */
  slug: string;
  siteUrl: string;
  /**
   * True when siteUrl was chosen (the siteUrl option or CONNECTORS_SITE_URL); otherwise the page
   * named is on the site the running npm start announced, when there is one (as approve_url does).
   */
  siteUrlChosen?: boolean;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** How long asking the registry may take (connecting included), unless CONNECTOR_APPROVAL_TIMEOUT_MS says otherwise. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 5_000;

export function connectorPage(siteUrl: string, slug: string): string {
  return `${siteUrl.replace(/\/+$/, '')}/connectors/${slug}`;
}

export async function checkApprovalAtStart(args: GateArgs): Promise<GateOutcome> {
  const page = connectorPage(args.siteUrl, args.slug);
  if (args.env.CONNECTOR_DEV === '1') return { ok: true, mode: 'dev', line: devModeLine(args.slug, page) };

  const folder = path.dirname(path.resolve(args.manifestPath));
  if (path.basename(folder) !== args.slug || path.basename(path.dirname(folder)) !== 'connectors') {
    return {
      ok: false,
      code: 'folder_invalid',
      message:
        `${args.slug} cannot start with its keys: ${escapeControl(folder)} is not connectors/${args.slug}/ of a repository, and an approval ` +
        `is of that folder's digest. Run it from connectors/${args.slug}/ (approved on ${page}), or with CONNECTOR_DEV=1 without any key.`,
    };
  }
  const repoRoot = path.dirname(path.dirname(folder));
  const local = await digestFolder(repoRoot, args.slug);
  if (!local.ok) return { ok: false, code: 'folder_invalid', message: local.message };

  const timeoutMs = timeoutFrom(args.env, args.log);
  const link = openRegistryLink({ env: args.env, timeoutMs, log: args.log });
  try {
    const asked = await link.run((client) => readApproval(client, args.slug));
    if (!asked.ok) return { ok: false, code: 'approval_unchecked', message: uncheckedApproval(args.slug, asked.message, page) };
    const announced = args.siteUrlChosen ? null : link.siteUrl();
    const verdict = judgeApproval({ slug: args.slug, digest: local.digest, files: local.files }, asked.value, announced ? connectorPage(announced, args.slug) : page);
    return verdict.approved ? { ok: true, mode: 'keys' } : { ok: false, code: 'not_approved', message: verdict.message };
  } finally {
    await link.close();
  }
}

/** The folder's digest as the sentinel computes it; a folder that does not validate cannot be approved as it is. */
async function digestFolder(repoRoot: string, slug: string): Promise<{ ok: true; digest: string; files: FileHash[] } | { ok: false; message: string }> {
  const loaded = await loadCatalog(repoRoot);
  const checked = loaded.errors.length === 0 ? await checkConnectorFolder(repoRoot, slug, loaded.catalog) : undefined;
  const problems = loaded.errors.length > 0 ? loaded.errors : (checked?.errors ?? []);
  const connector = checked?.connector;
  if (problems.length > 0 || !connector) {
    const shown = problems.slice(0, 5).map((p) => `  ${formatProblem(p)}`);
    const more = problems.length > 5 ? [`  ... and ${problems.length - 5} more`] : [];
    return {
      ok: false,
      message:
        `${slug} cannot start with its keys: its folder does not validate, so it is not what was approved:\n${[...shown, ...more].join('\n')}\n` +
        `Fix it (npm run connectors -- validate connectors/${slug}), then sync and review it.`,
    };
  }
  return { ok: true, digest: connector.digest, files: connector.files ?? [] };
}

/** What the registry says about `slug`; a registry without the schema knows no connector. */
async function readApproval(client: pg.ClientBase, slug: string): Promise<RegistryApproval> {
  const { rows: tables } = await client.query<{ providers: boolean; files: boolean }>(
    `SELECT to_regclass('connector_providers') IS NOT NULL AS providers, to_regclass('connector_approved_files') IS NOT NULL AS files`,
  );
  if (!tables[0]?.providers) return { provider: null, approvedFiles: [] };
  const { rows } = await client.query<{ status: string; manifest_digest: string; approved_digest: string | null }>(
    `SELECT status, manifest_digest, approved_digest FROM connector_providers WHERE provider_slug = $1`,
    [slug],
  );
  const files = tables[0].files
    ? (await client.query<FileHash>(`SELECT path, sha256 FROM connector_approved_files WHERE provider_slug = $1 ORDER BY path`, [slug])).rows
    : [];
  return { provider: rows[0] ?? null, approvedFiles: files };
}

function timeoutFrom(env: NodeJS.ProcessEnv, log: (line: string) => void): number {
  const raw = env.CONNECTOR_APPROVAL_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_APPROVAL_TIMEOUT_MS;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 10 && n <= 60_000) return n;
  log(`warning: CONNECTOR_APPROVAL_TIMEOUT_MS=${escapeControl(raw.slice(0, 40))} is not a whole number of milliseconds from 10 to 60000; using ${DEFAULT_APPROVAL_TIMEOUT_MS}`);
  return DEFAULT_APPROVAL_TIMEOUT_MS;
}
