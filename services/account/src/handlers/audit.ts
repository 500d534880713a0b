// The audit row of an account action: the principal, the partner it acted for, the peer's
// network address, the action and its outcome, and the trace id that ties it to the RPC's log line.
import { MeshError } from '../../../mesh/src/errors.js';
import type { CallContext } from '../../../mesh/src/rpc-runtime.js';
import type { AccountCaller } from '../domain/index.js';
import type { AuditEvent } from '../store/index.js';

export function auditEventOf(
  context: CallContext,
  caller: AccountCaller,
  what: {
    action: string;
    outcome: string;
    account: { accountId: string } | undefined;
    reason?: string;
  },
): AuditEvent {
  return {
    principal: caller.principalId,
    partnerId: caller.kind === 'partner' ? caller.partnerId : undefined,
    peer: context.peerAddress,
    action: what.action,
    outcome: what.outcome,
    accountId: what.account?.accountId,
    reason: what.reason ?? '',
    traceId: context.trace.traceId,
  };
}

/** The outcome recorded for a failed action: the reason its caller is answered with. */
export function outcomeOf(error: unknown): string {
  return MeshError.from(error).reason;
}
