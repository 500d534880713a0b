// RotatePartnerSecret: a new client secret replaces the old one in the same row update, so the
// old one stops working at once. The new hash is computed before the row is locked. A REVOKED
// partner keeps its (useless) secret: INVALID_STATE.
import * as grpc from '@grpc/grpc-js';
import type {
  RotatePartnerSecretRequest,
  RotatePartnerSecretResponse,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { hashSecret, newClientSecret } from '../client-secrets.js';
import type { PartnerRecord } from '../domain/index.js';
import { findPartner, updatePartnerSecret } from '../store/index.js';
import { outcomeOf } from './audit.js';
import type { HandlerDependencies } from './dependencies.js';
import { auditPartnerEvent } from './partner-audit.js';
import { partnerToProto } from './proto-mapping.js';
import { partnerNotFound, requireUuid } from './request-validation.js';

export function rotatePartnerSecretHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<RotatePartnerSecretRequest, RotatePartnerSecretResponse> {
  const { db, credentials } = dependencies;
  return async (request, context) => {
    const partnerId = requireUuid(request.partnerId, 'partner_id');
    const clientSecret = newClientSecret();
    const secretHash = await hashSecret(clientSecret, credentials.secretHashing);
    const audit = (outcome: string) =>
      auditPartnerEvent(db, context, {
        action: 'RotatePartnerSecret',
        outcome,
        targetPartnerId: partnerId,
      });
    let partner: PartnerRecord;
    try {
      partner = await db.transaction(async (trx) => {
        const current = await findPartner(trx, partnerId, { forUpdate: true });
        if (current === undefined) throw partnerNotFound(partnerId);
        if (current.status === 'REVOKED') {
          throw new MeshError(
            grpc.status.FAILED_PRECONDITION,
            'INVALID_STATE',
            'the partner is REVOKED, which is final',
          );
        }
        return updatePartnerSecret(trx, partnerId, secretHash, credentials.clock());
      });
    } catch (error) {
      await audit(outcomeOf(error));
      throw error;
    }
    await audit('OK');
    return { partner: partnerToProto(partner), clientSecret };
  };
}
