// Who calls, in the payment service's terms (SPEC §4): client/admin, another internal principal,
// or service/gateway acting for a partner — which must carry the RPC's scope. The gateway without
// partner metadata acts for nobody and is refused; the policy has already let the call in.
import * as grpc from '@grpc/grpc-js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { CallContext } from '../../../mesh/src/rpc-runtime.js';
import type { PaymentCaller } from '../domain/index.js';

export type PaymentScope = 'payments:read' | 'payments:write';

export function callerOf(context: CallContext, requiredScope: PaymentScope): PaymentCaller {
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
    return { kind: 'partner', principalId: principal.id, partnerId: partner.partnerId };
  }
  if (principal.id === 'client/admin') return { kind: 'admin', principalId: principal.id };
  if (principal.id === 'service/gateway') {
    throw new MeshError(
      grpc.status.PERMISSION_DENIED,
      'POLICY_DENIED',
      'service/gateway calls the payment service only on behalf of a partner',
    );
  }
  return { kind: 'internal', principalId: principal.id };
}

/** Unknown and invisible payments answer alike, so a partner learns nothing by probing. */
export function paymentNotFound(paymentId: string): MeshError {
  return new MeshError(
    grpc.status.NOT_FOUND,
    'PAYMENT_NOT_FOUND',
    `payment ${paymentId} not found`,
  );
}

export function accountNotFound(accountId: string, field: string): MeshError {
  return new MeshError(
    grpc.status.NOT_FOUND,
    'ACCOUNT_NOT_FOUND',
    `account ${accountId} not found`,
    {
      metadata: { field },
    },
  );
}

export function invalidState(message: string): MeshError {
  return new MeshError(grpc.status.FAILED_PRECONDITION, 'INVALID_STATE', message);
}
