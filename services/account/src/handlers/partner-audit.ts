// Audit rows of partner actions and failed logins: who called (principal and peer), what it did
// to which partner or client_id, and the outcome. Never the secret or the token.
import type { CallContext } from '../../../mesh/src/rpc-runtime.js';
import { insertAuditEvent } from '../store/index.js';
import type { Knex } from '../../../mesh/src/database.js';

export interface PartnerAuditWhat {
  readonly action: 'CreatePartner' | 'RotatePartnerSecret' | 'RevokePartner' | 'IssueToken';
  readonly outcome: string;
  readonly targetPartnerId?: string | undefined;
  readonly clientId?: string | undefined;
  /** For operators only, never for the caller: why a login failed. */
  readonly reason?: string;
}

export async function auditPartnerEvent(
  db: Knex,
  context: CallContext,
  what: PartnerAuditWhat,
): Promise<void> {
  await insertAuditEvent(db, {
    principal: context.principal.id,
    partnerId: context.partner?.partnerId,
    peer: context.peerAddress,
    action: what.action,
    outcome: what.outcome,
    accountId: undefined,
    reason: what.reason ?? '',
    traceId: context.trace.traceId,
    clientId: what.clientId,
    targetPartnerId: what.targetPartnerId,
  });
}
