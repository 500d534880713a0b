// CreatePayment: validation, then the keyed call — the payer and payee looked up (unknown or, for
// a partner, not its own: NOT_FOUND; a SETTLEMENT payer without client/admin: PERMISSION_DENIED),
// a PENDING payment claimed with its key, the ledger transfer (or hold), the outcome recorded.
import * as grpc from '@grpc/grpc-js';
import {
  CreatePaymentResponse,
  type CreatePaymentRequest,
} from '../../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { isCurrencyCode } from '../../../mesh/src/currencies.js';
import { idempotencyScopeOf } from '../../../mesh/src/callers.js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import {
  payerRefusal,
  requestHash,
  uuidv7,
  validateCreatePayment,
  type PaymentRecord,
} from '../domain/index.js';
import { answerOf, refuseIfCallerGone } from '../keyed-calls.js';
import { claimCreatePayment } from '../store/index.js';
import { accountNotFound, callerOf } from './caller.js';
import type { HandlerDependencies } from './dependencies.js';
import { captureMethodFromProto } from './proto-mapping.js';

export function createPaymentHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<CreatePaymentRequest, CreatePaymentResponse> {
  return async (request, context) => {
    const caller = callerOf(context, 'payments:write');
    const validated = validateCreatePayment(
      {
        idempotencyKey: request.idempotencyKey,
        payerAccountId: request.payerAccountId,
        payeeAccountId: request.payeeAccountId,
        amount: request.amount,
        captureMethod: captureMethodFromProto(request.captureMethod),
        authorizationTtlSeconds: request.authorizationTtlSeconds,
        description: request.description,
        reference: request.reference,
        metadata: request.metadata,
      },
      isCurrencyCode,
    );
    if (!validated.ok) throw MeshError.invalidArgument(validated.violations);
    const { params } = validated;
    const outcome = await dependencies.keyedCalls.run(
      {
        rpc: 'CreatePayment',
        scope: idempotencyScopeOf(caller),
        idempotencyKey: request.idempotencyKey,
        requestHash: requestHash('CreatePayment', params),
        resource: { kind: 'payer_account', name: params.payerAccountId },
        claim: async (operation) => {
          const [payer, payee] = await Promise.all([
            dependencies.accounts.find(params.payerAccountId, context.trace),
            dependencies.accounts.find(params.payeeAccountId, context.trace),
          ]);
          const refusal = payer === undefined ? 'not_found' : payerRefusal(caller, payer);
          if (refusal === 'not_found' || payer === undefined) {
            throw accountNotFound(params.payerAccountId, 'payer_account_id');
          }
          if (refusal === 'settlement') {
            throw new MeshError(
              grpc.status.PERMISSION_DENIED,
              'POLICY_DENIED',
              'only client/admin may pay from a SETTLEMENT account',
            );
          }
          if (payee === undefined) throw accountNotFound(params.payeeAccountId, 'payee_account_id');
          refuseIfCallerGone(context);
          const now = dependencies.clock();
          const payment: PaymentRecord = {
            ...params,
            paymentId: uuidv7(now.getTime()),
            idempotencyKey: request.idempotencyKey,
            payerOwnerId: payer.ownerId,
            payeeOwnerId: payee.ownerId,
            amountCaptured: 0n,
            amountRefunded: 0n,
            status: 'PENDING',
            failureReason: undefined,
            authorizationExpiresAt: undefined,
            ledgerTransferIds: [],
            createdAt: now,
            updatedAt: now,
          };
          return claimCreatePayment(
            dependencies.db,
            {
              ...operation,
              operationId: uuidv7(now.getTime()),
              paymentId: payment.paymentId,
              createdAt: now,
            },
            payment,
          );
        },
      },
      context,
    );
    return answerOf(outcome, (bytes) => CreatePaymentResponse.decode(bytes));
  };
}
