/**
 * The PostgreSQL extensions the registry's migrations create, as PGlite loads them: PGlite has
 * every contrib extension in its package but loads only those named when it opens a data dir, and
 * `CREATE EXTENSION` fails for the others. Every PGlite that holds a registry opens with these.
 *
 *   await PGlite.create(dataDir, { extensions: PGLITE_EXTENSIONS });
 */
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

/** pg_trgm: the site's list search index (migration 1770523200000_list-indexes.sql). */
export const PGLITE_EXTENSIONS = { pg_trgm };
