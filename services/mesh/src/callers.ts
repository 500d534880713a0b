// Who calls, in the terms every service's rules use (SPEC §4): client/admin, another internal
// principal, or service/gateway acting for a partner — which must carry the RPC's scope. The
// gateway without partner metadata acts for nobody and is refused; the policy has already let the
// call in, so this only sorts the caller.
import * as grpc from '@grpc/grpc-js';
import { MeshError } from './errors.js';
import type { MeshCaller } from './mesh-caller.js';
import type { CallContext } from './rpc-runtime.js';

export type { MeshCaller } from './mesh-caller.js';

/** The caller of `context`; a partner without `requiredScope` is PERMISSION_DENIED. */
export function meshCallerOf(
  context: Pick<CallContext, 'principal' | 'partner'>,
  requiredScope: string,
  serviceName: string,
): MeshCaller {
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
      `service/gateway calls the ${serviceName} only on behalf of a partner`,
    );
  }
  return { kind: 'internal', principalId: principal.id };
}

/**
 * Whose idempotency keys (and request ids) a call uses: the partner for gateway calls, so that a
 * partner's keys are its own whichever gateway replica carries them; else the principal.
 */
export function idempotencyScopeOf(caller: MeshCaller): string {
  return caller.kind === 'partner' ? `partner:${caller.partnerId}` : caller.principalId;
}
