/**
 * The files of each connector folder, as the registry remembers them (connector_files): path,
 * sha256, size and, for small source and document files, the text, so the site can list what
 * changed since approval and show the diff. Written by the sync in its transaction whenever a
 * folder's bytes changed (whether or not its digest did), so the rows always describe the folder
 * whose digest and source sha256 the provider row holds.
 *
 * Touches only: connector_files of the plan's file lists, and connector_approved_files of approved
 * providers that have no approved file list yet (see recordApprovedFiles).
 */
import type { FileList, Plan } from './types.ts';
import type { Queryable } from '../registry/db.ts';
import { JsonbBatch } from './json-batches.ts';


/** Reads the kept texts of a connector's files (path -> text); the sync passes connector-folder.ts readKeptTexts. */
export type ReadTexts = (list: FileList) => Map<string, string>;

/** Text bytes per statement: a batch of providers stays far below PostgreSQL's 1 GB parameter limit. */
const BATCH_TEXT_BYTES = 4 * 1024 * 1024;
const BATCH_PROVIDERS = 1000;

/**
 * Replaces the file rows of the plan's file lists (plan.ts fileLists), in batches bounded by text
 * size. Returns how many providers were recorded. Each file's row goes into the batch's JSON as it
 * is read (json-batches.ts JsonbBatch), so a batch's texts are held once, as bytes outside the
 * JavaScript heap, and only until it is sent.
 */
export async function applyConnectorFiles(client: Queryable, plan: Plan, readTexts: ReadTexts): Promise<number> {
  // Texts, escaped as JSON, and the rows around them: about 1.5 times the text bytes, made at that size at once.
  const batch = new JsonbBatch(BATCH_TEXT_BYTES * 1.5);
  let slugs: string[] = [];
  let textBytes = 0;
  const flush = async () => {
    if (slugs.length === 0) return;
    await client.query(`DELETE FROM connector_files WHERE provider_slug = ANY($1::text[])`, [slugs]);
    await client.query(
      `INSERT INTO connector_files (provider_slug, path, sha256, size, text)
       SELECT slug, path, sha256, size, text
         FROM jsonb_to_recordset($1::jsonb) AS r(slug text, path text, sha256 text, size bigint, text text)`,
      [batch.param()],
    );
    batch.clear();
    slugs = [];
    textBytes = 0;
  };
  for (const list of plan.file_lists) {
    const texts = readTexts(list);
    for (const f of list.files) {
      const text = texts.get(f.path) ?? null;
      if (text !== null) textBytes += f.size;
      batch.add({ slug: list.slug, path: f.path, sha256: f.sha256, size: f.size, text });
    }
    slugs.push(list.slug);
    if (textBytes >= BATCH_TEXT_BYTES || slugs.length >= BATCH_PROVIDERS) await flush();
  }
  await flush();
  return plan.file_lists.length;
}

/**
 * Gives an approved provider whose approval predates file tracking its approved file list: when
 * the provider is `approved` at its current digest, its current files are, by the digest, the
 * approved ones. Runs after applyConnectorFiles for the providers it recorded.
 */
export async function recordApprovedFiles(client: Queryable, slugs: string[]): Promise<void> {
  if (slugs.length === 0) return;
  await client.query(
    `INSERT INTO connector_approved_files (provider_slug, path, sha256, size, text)
     SELECT f.provider_slug, f.path, f.sha256, f.size, f.text
       FROM connector_files f JOIN connector_providers p USING (provider_slug)
      WHERE f.provider_slug = ANY($1::text[])
        AND p.status = 'approved' AND p.approved_digest = p.manifest_digest
        AND NOT EXISTS (SELECT 1 FROM connector_approved_files a WHERE a.provider_slug = f.provider_slug)`,
    [slugs],
  );
}
