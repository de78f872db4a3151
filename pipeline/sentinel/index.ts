/** The sentinel: plan and sync the registry from the repository. */
export { computePlan, emptySnapshot, planIsEmpty, providersNeedingDetail, nextStatus, unchangedStillHolds, type DesiredState } from './plan.ts';
export { readKnownSources, hasSourceHashes } from './known-sources.ts';
export { analyzeAfterSync, ANALYZE_ABOVE_ROWS } from './analyze.ts';
export { readSnapshot } from './snapshot.ts';
export { planSync, runSync, SYNC_LOCK, type Db, type PlanOptions, type PlanOutcome, type SyncOptions, type SyncOutcome, type Validate } from './sync.ts';
export { renderPlan, renderSyncResult } from './render.ts';
export type * from './types.ts';
