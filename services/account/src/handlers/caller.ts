// Who calls, in the account service's terms (SPEC §4): client/admin, another internal principal,
// or service/gateway acting for a partner — which must carry the RPC's scope. The gateway without
// partner metadata acts for nobody and is refused; the policy has already let the call in.
import * as grpc from '@grpc/grpc-js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { CallContext } from '../../../mesh/src/rpc-runtime.js';
import type { AccountCaller } from '../domain/index.js';

export type AccountScope = 'accounts:read' | 'accounts:write';

export function callerOf(context: CallContext, requiredScope: AccountScope): AccountCaller {
  const { principal, partner } = context;
  if (partner !== undefined) {
    if (!partner.scopes.includes(requiredScope)) {
      throw new MeshError(
        grpc.status.PERMISSION_DENIED,
        'POLICY_DENIED',
        `the partner lacks the scope ${requiredScope}`,
        { metadata: { required_scope: requiredScope } },
      );
    }
    return {
      kind: 'partner',
      principalId: principal.id,
      partnerId: partner.partnerId,
      scopes: partner.scopes,
    };
  }
  if (principal.id === 'client/admin') return { kind: 'admin', principalId: principal.id };
  if (principal.id === 'service/gateway') {
    throw new MeshError(
      grpc.status.PERMISSION_DENIED,
      'POLICY_DENIED',
      'service/gateway calls the account service only on behalf of a partner',
    );
  }
  return { kind: 'internal', principalId: principal.id };
}

/** Whose request ids an OpenAccount key belongs to: the partner for gateway calls. */
export function idempotencyScopeOf(caller: AccountCaller): string {
  return caller.kind === 'partner' ? `partner:${caller.partnerId}` : caller.principalId;
}
