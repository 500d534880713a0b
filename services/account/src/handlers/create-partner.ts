// CreatePartner: a new ACTIVE partner with a fresh client id and secret. The secret is answered
// once and stored only as its scrypt hash, computed before anything is written.
import type {
  CreatePartnerRequest,
  CreatePartnerResponse,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { hashSecret, newClientId, newClientSecret } from '../client-secrets.js';
import { uuidv7, validateCreatePartner, type PartnerRecord } from '../domain/index.js';
import { insertPartner } from '../store/index.js';
import type { HandlerDependencies } from './dependencies.js';
import { outcomeOf } from './audit.js';
import { auditPartnerEvent } from './partner-audit.js';
import { partnerToProto } from './proto-mapping.js';

export function createPartnerHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<CreatePartnerRequest, CreatePartnerResponse> {
  const { db, credentials } = dependencies;
  return async (request, context) => {
    const input = validateCreatePartner(request);
    if (!input.ok) throw MeshError.invalidArgument(input.violations);
    const now = credentials.clock();
    const partner: PartnerRecord = {
      partnerId: uuidv7(now.getTime()),
      clientId: newClientId(),
      displayName: input.displayName,
      scopes: input.scopes,
      status: 'ACTIVE',
      createdAt: now,
      updatedAt: now,
    };
    const clientSecret = newClientSecret();
    const audit = (outcome: string) =>
      auditPartnerEvent(db, context, {
        action: 'CreatePartner',
        outcome,
        targetPartnerId: partner.partnerId,
        clientId: partner.clientId,
      });
    try {
      await insertPartner(db, partner, await hashSecret(clientSecret, credentials.secretHashing));
    } catch (error) {
      await audit(outcomeOf(error));
      throw error;
    }
    await audit('OK');
    return { partner: partnerToProto(partner), clientSecret };
  };
}
