/**
 * Whether a connector may start with its keys, from what the registry says about it and what its
 * folder holds now; and, when it may not, the words that say why and what to do. Pure.
 *
 * The rule (DESIGN.md "The connector digest"): keys only while the registry says `approved` at
 * exactly the digest of the folder on disk. Everything else refuses: a draft, a changed or retired
 * connector, one the registry does not know, an approval of other bytes, and a registry that cannot
 * be asked.
 */
import type { FileHash } from '../schema/digest.ts';
import { escapeControl } from '../validate/terminal-text.ts';

export interface RegistryApproval {
  /** The provider row, or null when the registry has no connector of that slug (or no schema). */
  provider: { status: string; manifest_digest: string; approved_digest: string | null } | null;
  /** The files recorded at approval (empty: none recorded, e.g. an approval older than file tracking). */
  approvedFiles: FileHash[];
}

export interface LocalFolder {
  slug: string;
  digest: string;
  files: FileHash[];
}

export type ApprovalVerdict = { approved: true } | { approved: false; message: string };

const short = (digest: string | null) => (digest ?? '(none)').slice(0, 12);

/** The decision for a folder the registry could be asked about. `page`: the connector's page on the site. */
export function judgeApproval(local: LocalFolder, registry: RegistryApproval, page: string): ApprovalVerdict {
  const p = registry.provider;
  if (p && p.status === 'approved' && p.approved_digest === local.digest) return { approved: true };

  const head = `${local.slug} cannot start with its keys: this folder (digest ${short(local.digest)}) is not what an operator approved.`;
  const changes = changedFiles(local.files, registry.approvedFiles);
  const since = changes ? `; since then: ${changes}` : '';
  const sync = `sync it (npm run connectors -- sync, or a running npm start does it within a second)`;
  let state: string;
  let todo: string;
  if (!p) {
    state = `The registry has no connector "${local.slug}".`;
    todo = `${cap(sync)}, review it and approve it on ${page}`;
  } else if (p.status === 'draft') {
    state = 'The registry says "draft": nobody has approved it yet, or its approval was revoked.';
    todo = p.manifest_digest === local.digest ? `Review it and approve it on ${page}` : `${cap(sync)}, then review it and approve it on ${page}`;
  } else if (p.status === 'retired') {
    state = 'The registry says "retired": its folder was gone at the last sync.';
    todo = `${cap(sync)} so it comes back as a draft, then review it and approve it on ${page}`;
  } else if (p.status === 'changed') {
    state = `The registry says "changed": approved at ${short(p.approved_digest)}${since || ', changed since'}.`;
    todo = p.manifest_digest === local.digest
      ? `Review the changes and approve them on ${page}, or restore the approved files`
      : `${cap(sync)}, review the changes and approve them on ${page}, or restore the approved files`;
  } else {
    state = `The registry approved digest ${short(p.approved_digest)}, not this folder${since}.`;
    todo = `${cap(sync)} and review the change on ${page}, or restore the approved files`;
  }
  return {
    approved: false,
    message: `${head}\n${state}\n${todo}, then start the connector again. (CONNECTOR_DEV=1 runs it without any key, against a stand-in.)`,
  };
}

/** The refusal when the registry could not be asked (unreachable, slow, failing): fail closed. */
export function uncheckedApproval(slug: string, reason: string, page: string): string {
  const said = reason.trim().replace(/\.?$/, '.');
  return (
    `${slug} cannot start with its keys: its approval could not be checked: ${said}\n` +
    `A connector gets its keys only when the registry confirms that an operator approved this exact folder (${page}). ` +
    `(CONNECTOR_DEV=1 runs it without any key, against a stand-in.)`
  );
}

/** The one line a CONNECTOR_DEV=1 start prints. */
export function devModeLine(slug: string, page: string): string {
  return (
    `${slug}: CONNECTOR_DEV=1: serving WITHOUT any vault key (approval not checked); handlers that need a key get "key not set". ` +
    `To run it with its keys, approve it on ${page} and start it without CONNECTOR_DEV.`
  );
}

/** `modified server.ts, handlers.ts; added lib/x.ts; removed y.ts`, at most 8 names; '' when nothing is known. */
export function changedFiles(now: FileHash[], approved: FileHash[]): string {
  if (approved.length === 0) return '';
  const before = new Map(approved.map((f) => [f.path, f.sha256]));
  const after = new Map(now.map((f) => [f.path, f.sha256]));
  const groups: [string, string[]][] = [
    ['modified', now.filter((f) => before.has(f.path) && before.get(f.path) !== f.sha256).map((f) => f.path)],
    ['added', now.filter((f) => !before.has(f.path)).map((f) => f.path)],
    ['removed', approved.filter((f) => !after.has(f.path)).map((f) => f.path)],
  ];
  let budget = 8;
  const parts: string[] = [];
  for (const [verb, paths] of groups) {
    if (paths.length === 0) continue;
    const shown = paths.slice(0, Math.max(budget, 0));
    budget -= shown.length;
    const more = paths.length - shown.length;
    parts.push(`${verb} ${shown.map(escapeControl).join(', ')}${more > 0 ? `${shown.length ? ' and' : ''} ${more} more` : ''}`);
  }
  return parts.join('; ');
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
