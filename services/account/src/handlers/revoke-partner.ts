// RevokePartner: ACTIVE -> REVOKED, final; revoking a REVOKED partner returns it unchanged.
// IssueToken refuses the partner from the moment the row is updated.
import type {
  RevokePartnerRequest,
  RevokePartnerResponse,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import type { PartnerRecord } from '../domain/index.js';
import { findPartner, updatePartnerStatus } from '../store/index.js';
import { outcomeOf } from './audit.js';
import type { HandlerDependencies } from './dependencies.js';
import { auditPartnerEvent } from './partner-audit.js';
import { partnerToProto } from './proto-mapping.js';
import { partnerNotFound, requireUuid } from './request-validation.js';

export function revokePartnerHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<RevokePartnerRequest, RevokePartnerResponse> {
  const { db, credentials } = dependencies;
  return async (request, context) => {
    const partnerId = requireUuid(request.partnerId, 'partner_id');
    const audit = (outcome: string) =>
      auditPartnerEvent(db, context, {
        action: 'RevokePartner',
        outcome,
        targetPartnerId: partnerId,
      });
    let partner: PartnerRecord;
    try {
      partner = await db.transaction(async (trx) => {
        const current = await findPartner(trx, partnerId, { forUpdate: true });
        if (current === undefined) throw partnerNotFound(partnerId);
        if (current.status === 'REVOKED') return current;
        return updatePartnerStatus(trx, partnerId, 'REVOKED', credentials.clock());
      });
    } catch (error) {
      await audit(outcomeOf(error));
      throw error;
    }
    await audit('OK');
    return { partner: partnerToProto(partner) };
  };
}
