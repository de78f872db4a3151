/**
 * `npm run connectors -- licences [--json] [--connector SLUG]`: the firearm licences that are active
 * and the requests waiting for an operator. Read-only, on purpose: no command grants, revokes or
 * approves, so an agent with a shell cannot license itself; an operator decides in the God Config.
 */
import { DEFAULT_SITE_URL } from '../../connector-runtime/secrets.ts';
import { listLicences, listPendingRequests, type LicenceRow, type RequestRow } from '../../registry/licences.ts';
import { escapeControl } from '../../validate/terminal-text.ts';
import { parseCommandLine } from '../command-line.ts';
import { EXIT } from '../errors.ts';
import { findRepoRoot, noRegistryYet, printJson, registryFlags, withRegistry } from '../options.ts';
import { LICENCES } from '../specs.ts';

interface Listing {
  active_licences: LicenceRow[];
  pending_requests: (RequestRow & { approve_url: string })[];
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandLine(LICENCES, args);
  const flags = registryFlags(values);
  const providerSlug = values.connector;
  const repoRoot = findRepoRoot();
  const site = (process.env.CONNECTORS_SITE_URL ?? DEFAULT_SITE_URL).replace(/\/+$/, '');

  const listing: Listing = noRegistryYet(flags, repoRoot)
    ? { active_licences: [], pending_requests: [] }
    : await withRegistry(flags, repoRoot, async ({ pool }) => {
        const { rows } = await pool.query<{ present: boolean }>(`SELECT to_regclass('firearm_licences') IS NOT NULL AS present`);
        if (!rows[0]?.present) return { active_licences: [], pending_requests: [] };
        const [active, pending] = await Promise.all([listLicences(pool, { providerSlug, limit: 1000 }), listPendingRequests(pool, { providerSlug, limit: 1000 })]);
        return { active_licences: active, pending_requests: pending.map((r) => ({ ...r, approve_url: `${site}/licences#request-${r.id}` })) };
      });

  if (flags.json) printJson(listing);
  else process.stdout.write(render(listing, site));
  return EXIT.ok;
}

function render(listing: Listing, site: string): string {
  const lines: string[] = [];
  const now = Date.now();
  const { active_licences: active, pending_requests: pending } = listing;
  lines.push(active.length === 0 ? 'No active firearm licences.' : `Active firearm licences (${active.length}):`);
  for (const l of active) {
    const scope = l.scope === null ? 'every scope' : `scope ${l.scope}`;
    const uses = l.max_uses === null ? `${l.uses} use${l.uses === 1 ? '' : 's'}` : `${l.uses}/${l.max_uses} uses`;
    lines.push(
      `  #${l.id}  ${l.provider_slug}  ${l.firearm_type} (${scope})  expires ${l.expires_at.toISOString()} (${until(l.expires_at.getTime() - now)})  ` +
        `${uses}  granted by ${l.granted_by}${l.note ? `  note: ${l.note}` : ''}`,
    );
  }
  lines.push('');
  lines.push(pending.length === 0 ? 'No pending licence requests.' : `Pending licence requests (${pending.length}):`);
  for (const r of pending) {
    const client = r.client_name ? `${r.client_name}${r.client_version ? ` ${r.client_version}` : ''}` : 'an unnamed client';
    lines.push(`  #${r.id}  ${r.provider_slug}  ${r.tool} (${r.firearm_type}, scope ${r.scope})  asked ${r.requested_at.toISOString()} by ${client}`);
    lines.push(`       arguments ${clipped(JSON.stringify(r.arguments))}`);
    lines.push(`       decide at ${r.approve_url}`);
  }
  lines.push('');
  lines.push(`Read-only: an operator grants, revokes, approves and denies on the God Config site (${site}/licences).`);
  // Every value from the registry is data: control characters shown escaped, one line each.
  return `${lines.map(escapeControl).join('\n')}\n`;
}

function clipped(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

function until(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `in ${hours} h ${minutes % 60} min`;
  return `in ${Math.floor(hours / 24)} days`;
}
