/**
 * The tasks child.ts can run, loaded lazily so a child only imports what its task needs (and a
 * part that is not built yet only fails the tasks that use it).
 */
export interface TaskContext {
  /** Hosts: tell the parent they are ready, with e.g. their URL. */
  ready(value: unknown): void;
  /** Hosts: resolves when the parent asks them to stop. */
  untilClosed: Promise<void>;
}

export type Task = (input: never, context: TaskContext) => Promise<unknown>;

export const TASKS: Record<string, () => Promise<Task>> = {
  validate: () => import('./tasks/validate.ts').then((m) => m.validateTask as Task),
  'validate-floor': () => import('./tasks/validate.ts').then((m) => m.validateFloorTask as Task),
  sync: () => import('./tasks/sync.ts').then((m) => m.syncTask as Task),
  'watched-sync': () => import('./tasks/watched-sync.ts').then((m) => m.watchedSyncTask as Task),
  'row-by-row': () => import('./tasks/row-by-row.ts').then((m) => m.rowByRowTask as Task),
  'copy-floor': () => import('./tasks/copy-floor.ts').then((m) => m.copyFloorTask as Task),
  'registry-template': () => import('./tasks/fresh-database.ts').then((m) => m.registryTemplateTask as Task),
  'fresh-database': () => import('./tasks/fresh-database.ts').then((m) => m.freshDatabaseHost as Task),
  site: () => import('./tasks/site.ts').then((m) => m.siteHost as Task),
  vault: () => import('./tasks/vault.ts').then((m) => m.vaultTask as Task),
  licence: () => import('./tasks/licence.ts').then((m) => m.licenceTask as Task),
};
