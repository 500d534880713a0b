// CapturePayment, CancelPayment and RefundPayment: validation, then the keyed call on the
// payment — visible to the caller (else NOT_FOUND), in the state the action needs (else
// INVALID_STATE), the amount within the payment's (else INVALID_ARGUMENT) — claimed with its key,
// then driven through the ledger and recorded.
import * as grpc from '@grpc/grpc-js';
import {
  CancelPaymentResponse,
  CapturePaymentResponse,
  RefundPaymentResponse,
  type CancelPaymentRequest,
  type CapturePaymentRequest,
  type RefundPaymentRequest,
} from '../../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { isCurrencyCode } from '../../../mesh/src/currencies.js';
import { idempotencyScopeOf } from '../../../mesh/src/callers.js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { CallContext, UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import {
  checkActionAmount,
  maySeePayment,
  requestHash,
  uuidv7,
  validatePaymentAction,
  type KeyedRpc,
  type PaymentActionInput,
  type PaymentActionParams,
  type PaymentCaller,
  type PaymentRecord,
} from '../domain/index.js';
import { answerOf } from '../keyed-calls.js';
import {
  claimRefund,
  claimSettlement,
  findPayment,
  refundableAmount,
  type ClaimResult,
  type NewOperation,
  type StoredOutcome,
} from '../store/index.js';
import { callerOf, invalidState, paymentNotFound } from './caller.js';
import type { HandlerDependencies } from './dependencies.js';

type OperationFields = Pick<
  NewOperation,
  'scope' | 'idempotencyKey' | 'rpc' | 'requestHash' | 'holder' | 'leaseMs'
>;

/** The action's payment and what each action checks and claims on it. */
type Claimer = (
  payment: PaymentRecord,
  params: PaymentActionParams,
  caller: PaymentCaller,
  operation: OperationFields,
) => Promise<ClaimResult>;

async function runAction(
  dependencies: HandlerDependencies,
  rpc: KeyedRpc,
  input: PaymentActionInput,
  context: CallContext,
  claimer: Claimer,
): Promise<StoredOutcome> {
  const caller = callerOf(context, 'payments:write');
  const validated = validatePaymentAction(input, isCurrencyCode);
  if (!validated.ok) throw MeshError.invalidArgument(validated.violations);
  const { params } = validated;
  return dependencies.keyedCalls.run(
    {
      rpc,
      scope: idempotencyScopeOf(caller),
      idempotencyKey: input.idempotencyKey,
      requestHash: requestHash(rpc, params),
      resource: { kind: 'payment', name: params.paymentId },
      claim: async (operation) => {
        const payment = await findPayment(dependencies.db, params.paymentId);
        if (payment === undefined || !maySeePayment(caller, payment)) {
          throw paymentNotFound(params.paymentId);
        }
        return claimer(payment, params, caller, operation);
      },
    },
    context,
  );
}

function requireStatus(payment: PaymentRecord, status: PaymentRecord['status']): void {
  if (payment.status === status) return;
  const why =
    payment.failureReason === undefined ? '' : ` (${payment.failureReason.toLowerCase()})`;
  throw invalidState(`payment ${payment.paymentId} is ${payment.status}${why}, not ${status}`);
}

function refuseViolations(violations: ReturnType<typeof checkActionAmount>): void {
  if (violations.length > 0) throw MeshError.invalidArgument(violations);
}

function settlementClaimer(dependencies: HandlerDependencies): Claimer {
  return async (payment, params, _caller, operation) => {
    refuseViolations(
      checkActionAmount(params.amount, payment, payment.amount, "the payment's amount"),
    );
    requireStatus(payment, 'REQUIRES_CAPTURE');
    const now = dependencies.clock();
    const claimed = await claimSettlement(dependencies.db, {
      ...operation,
      operationId: uuidv7(now.getTime()),
      paymentId: payment.paymentId,
      ...(params.amount === undefined ? {} : { captureAmount: params.amount.amount }),
      createdAt: now,
    });
    if (claimed.result === 'invalid_state') {
      // Settled (or settling) since it was read: the state it is in now says which.
      const current = (await findPayment(dependencies.db, payment.paymentId)) ?? payment;
      requireStatus(current, 'REQUIRES_CAPTURE');
      throw invalidState(`payment ${payment.paymentId} is being captured or canceled`);
    }
    return claimed;
  };
}

export function capturePaymentHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<CapturePaymentRequest, CapturePaymentResponse> {
  const claimer = settlementClaimer(dependencies);
  return async (request, context) => {
    const outcome = await runAction(dependencies, 'CapturePayment', request, context, claimer);
    return answerOf(outcome, (bytes) => CapturePaymentResponse.decode(bytes));
  };
}

export function cancelPaymentHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<CancelPaymentRequest, CancelPaymentResponse> {
  const claimer = settlementClaimer(dependencies);
  return async (request, context) => {
    const outcome = await runAction(dependencies, 'CancelPayment', request, context, claimer);
    return answerOf(outcome, (bytes) => CancelPaymentResponse.decode(bytes));
  };
}

export function refundPaymentHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<RefundPaymentRequest, RefundPaymentResponse> {
  const claimer: Claimer = async (payment, params, caller, operation) => {
    if (caller.kind === 'partner' && payment.payeeOwnerId !== caller.partnerId) {
      throw new MeshError(
        grpc.status.PERMISSION_DENIED,
        'POLICY_DENIED',
        'a partner may refund only payments into an account it owns',
      );
    }
    refuseViolations(
      checkActionAmount(params.amount, payment, payment.amountCaptured, 'the amount captured'),
    );
    requireStatus(payment, 'SUCCEEDED');
    const amount =
      params.amount?.amount ?? (await refundableAmount(dependencies.db, payment.paymentId));
    if (amount <= 0n) throw invalidState(`payment ${payment.paymentId} is refunded in full`);
    const now = dependencies.clock();
    const refundId = uuidv7(now.getTime());
    const claimed = await claimRefund(
      dependencies.db,
      {
        ...operation,
        operationId: uuidv7(now.getTime()),
        paymentId: payment.paymentId,
        refundId,
        createdAt: now,
      },
      {
        refundId,
        paymentId: payment.paymentId,
        amount,
        reason: params.reason,
        status: 'PENDING',
        failureReason: undefined,
        ledgerTransferId: undefined,
        createdAt: now,
      },
    );
    if (claimed.result === 'invalid_state') {
      throw invalidState(
        `refunding ${amount} would exceed what remains refundable of payment ${payment.paymentId}`,
      );
    }
    return claimed;
  };
  return async (request, context) => {
    const outcome = await runAction(dependencies, 'RefundPayment', request, context, claimer);
    return answerOf(outcome, (bytes) => RefundPaymentResponse.decode(bytes));
  };
}
