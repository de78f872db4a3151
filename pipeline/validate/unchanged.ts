/**
 * Skipping connector folders whose files have not changed since the last sync.
 *
 * The registry remembers, per provider, the source sha256 of the folder it synced (every file's
 * path and bytes, connector-folder.ts folderSourceSha256), and per sync the
 * validation fingerprint: sha256 of VALIDATOR_VERSION and the catalogues, i.e. of everything a
 * manifest's validity and digest depend on besides its own bytes. When a file's hash equals the
 * registry's for that slug and the fingerprint equals the last sync's, the file is valid and its
 * digest is the registry's, without parsing it. Any other file is validated in full; a changed
 * catalogue or rule changes the fingerprint and so validates every file (which is also how
 * "removing a catalogue entry still in use is an error" keeps holding for unchanged manifests).
 * In a git checkout the sentinel goes one step further (`untouched`): a folder git vouches for is
 * not even read.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../schema/digest.ts';
import type { Catalog } from '../schema/manifest.ts';
import { VALIDATOR_VERSION } from './rules.ts';

/** What the registry knows of the last sync, as the validator needs it. */
export interface KnownSources {
  /** The validation fingerprint of the last sync (null: none recorded, so nothing is skipped). */
  fingerprint: string | null;
  /** slug -> the synced folder's source sha256 and the registry's connector digest, for providers not retired. */
  sources: Map<string, KnownSource>;
  /**
   * Folders to accept unchanged without reading them at all (plan/sync in a git checkout: clean in
   * the worktree, and their tree id in HEAD is the one the registry synced; see
   * pipeline/sentinel/git-folders.ts). Only those that also have a source here, and only under the
   * same fingerprint, like the hash comparison.
   */
  untouched?: ReadonlySet<string>;
}

export interface KnownSource {
  sha256: string;
  digest: string;
  /** The git tree id of the folder the registry synced (null: synced from uncommitted work, or outside git). */
  tree?: string | null;
}

export function sourceSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * sha256 of the validator version and the catalogues' content (as parsed: their comments do not
 * count). `version` defaults to VALIDATOR_VERSION; tests pass another to play an older validator.
 */
export function validationFingerprint(catalog: Catalog, version: number = VALIDATOR_VERSION): string {
  return createHash('sha256').update(canonicalJson({ validator_version: version, catalog })).digest('hex');
}
