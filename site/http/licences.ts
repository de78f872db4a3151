/**
 * The pages' LicencesPort over the registry's one licences module (pipeline/registry/licences.ts),
 * which holds every statement on firearm_licences, licence_requests and firearm_uses and writes the
 * registry_events row of each decision with the operator's name. The site writes no licence SQL.
 */
import type pg from 'pg';
import {
  approveRequest,
  countPendingRequests,
  denyRequest,
  getLicence,
  getRequest,
  grantLicence,
  listLicences,
  listPendingRequests,
  listRecentUses,
  revokeLicence,
} from '../../pipeline/registry/licences.ts';
import type { LicencesPort } from '../src/lib/ports.ts';

/** Pending requests and active licences shown on /licences, at most. */
const LIST_LIMIT = 200;

export function createLicencesPort(db: pg.Pool): LicencesPort {
  return {
    grant: (input) =>
      grantLicence(db, {
        providerSlug: input.providerSlug,
        firearmType: input.firearmType,
        scope: input.scope,
        durationMinutes: input.durationMinutes,
        maxUses: input.maxUses,
        note: input.note,
        fromRequestId: input.fromRequestId,
        operator: input.actor,
      }),
    revoke: (id, actor) => revokeLicence(db, id, actor),
    approveRequest: (id, actor) => approveRequest(db, id, actor),
    denyRequest: (id, actor) => denyRequest(db, id, actor),
    listActive: (opts = {}) => listLicences(db, { providerSlug: opts.providerSlug, active: true, limit: LIST_LIMIT }),
    listPending: () => listPendingRequests(db, { limit: LIST_LIMIT }),
    countPending: () => countPendingRequests(db),
    getRequest: (id) => getRequest(db, id),
    getLicence: (id) => getLicence(db, id),
    listRecentUses: (opts = {}) => listRecentUses(db, { providerSlug: opts.providerSlug, limit: opts.limit ?? 50 }),
  };
}
