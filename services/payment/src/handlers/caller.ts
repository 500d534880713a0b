// Who calls, in the payment service's terms: the mesh's caller (services/mesh/src/callers.ts) with
// the payment scopes, and the refusals the payment handlers share.
import * as grpc from '@grpc/grpc-js';
import { meshCallerOf } from '../../../mesh/src/callers.js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { CallContext } from '../../../mesh/src/rpc-runtime.js';
import type { PaymentCaller } from '../domain/index.js';

export type PaymentScope = 'payments:read' | 'payments:write';

export function callerOf(context: CallContext, requiredScope: PaymentScope): PaymentCaller {
  return meshCallerOf(context, requiredScope, 'payment service');
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
