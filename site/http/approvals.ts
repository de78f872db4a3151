/**
 * The pages' ApprovalsPort over the registry's approvals module (pipeline/registry/approvals.ts),
 * which checks the digest the operator saw, takes the sync lock and writes the registry_events row.
 */
import type pg from 'pg';
import { approveAllKpiMappings, approveKpiMapping, approveProvider, revokeApproval } from '../../pipeline/registry/approvals.ts';
import type { ApprovalsPort } from '../src/lib/ports.ts';

export function createApprovalsPort(db: pg.Pool): ApprovalsPort {
  return {
    async approveProvider(input) {
      const result = await approveProvider(db, input);
      return result.ok ? { ok: true } : { ok: false, code: result.code, message: result.message };
    },
    async approveKpiMapping(input) {
      const result = await approveKpiMapping(db, input);
      return result.ok ? { ok: true } : { ok: false, code: result.code, message: result.message };
    },
    async approveAllKpiMappings(input) {
      const result = await approveAllKpiMappings(db, input);
      return result.ok ? { ok: true, approved: result.approved } : { ok: false, code: result.code, message: result.message };
    },
    async revokeApproval(input) {
      const result = await revokeApproval(db, input);
      return result.ok
        ? { ok: true, from: result.from, licencesRevoked: result.licencesRevoked, oneShotsExpired: result.oneShotsExpired }
        : { ok: false, code: result.code, message: result.message };
    },
  };
}
