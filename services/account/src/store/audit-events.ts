// The audit trail: one row per status change, opening, partner action or failed login, whatever
// its outcome. Callers pass identities, action names and reasons only — never a secret, a token
// or a request body.
import type { Knex } from '../../../mesh/src/database.js';

export interface AuditEvent {
  readonly principal: string;
  readonly partnerId: string | undefined;
  readonly peer: string;
  /** The RPC, e.g. FreezeAccount. */
  readonly action: string;
  /** OK, or the error reason the caller was answered with. */
  readonly outcome: string;
  readonly accountId: string | undefined;
  /** The operator's reason for a freeze or unfreeze, when given. */
  readonly reason: string;
  readonly traceId: string;
  /** The client_id a login presented (never its secret). */
  readonly clientId?: string | undefined;
  /** The partner an admin action changed. */
  readonly targetPartnerId?: string | undefined;
}

export async function insertAuditEvent(db: Knex, event: AuditEvent): Promise<void> {
  await db('audit_events').insert({
    principal: event.principal,
    partner_id: event.partnerId ?? null,
    peer: event.peer,
    action: event.action,
    outcome: event.outcome,
    account_id: event.accountId ?? null,
    reason: event.reason,
    trace_id: event.traceId,
    client_id: event.clientId ?? null,
    target_partner_id: event.targetPartnerId ?? null,
  });
}
