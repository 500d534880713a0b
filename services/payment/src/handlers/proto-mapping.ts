// Proto <-> domain for payments and refunds.
import {
  CaptureMethod as ProtoCaptureMethod,
  PaymentFailureReason as ProtoFailureReason,
  PaymentStatus as ProtoPaymentStatus,
  type Payment,
} from '../../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import {
  RefundStatus as ProtoRefundStatus,
  type Refund,
} from '../../../../gen/grpc-js/clearmesh/payment/v1/refund.js';
import type {
  CaptureMethod,
  FailureReason,
  PaymentRecord,
  PaymentStatus,
  RefundRecord,
} from '../domain/index.js';

/** UNSPECIFIED means AUTOMATIC; undefined for a number the contract does not know. */
export function captureMethodFromProto(method: ProtoCaptureMethod): CaptureMethod | undefined {
  switch (method) {
    case ProtoCaptureMethod.CAPTURE_METHOD_UNSPECIFIED:
    case ProtoCaptureMethod.CAPTURE_METHOD_AUTOMATIC:
      return 'AUTOMATIC';
    case ProtoCaptureMethod.CAPTURE_METHOD_MANUAL:
      return 'MANUAL';
    default:
      return undefined;
  }
}

/** 'all' for UNSPECIFIED; undefined for a number the contract does not know. */
export function paymentStatusFromProto(
  status: ProtoPaymentStatus,
): PaymentStatus | 'all' | undefined {
  if (status === ProtoPaymentStatus.PAYMENT_STATUS_UNSPECIFIED) return 'all';
  const name = ProtoPaymentStatus[status] as string | undefined;
  if (name === undefined || name === 'UNRECOGNIZED') return undefined;
  return name.slice('PAYMENT_STATUS_'.length) as PaymentStatus;
}

function failureReasonToProto(reason: FailureReason | undefined): ProtoFailureReason {
  return reason === undefined
    ? ProtoFailureReason.PAYMENT_FAILURE_REASON_UNSPECIFIED
    : ProtoFailureReason[`PAYMENT_FAILURE_REASON_${reason}`];
}

export function paymentToProto(payment: PaymentRecord): Payment {
  const money = (amount: bigint) => ({ amount, currency: payment.currency });
  return {
    paymentId: payment.paymentId,
    idempotencyKey: payment.idempotencyKey,
    payerAccountId: payment.payerAccountId,
    payeeAccountId: payment.payeeAccountId,
    amount: money(payment.amount),
    amountCaptured: money(payment.amountCaptured),
    amountRefunded: money(payment.amountRefunded),
    captureMethod: ProtoCaptureMethod[`CAPTURE_METHOD_${payment.captureMethod}`],
    status: ProtoPaymentStatus[`PAYMENT_STATUS_${payment.status}`],
    failureReason: failureReasonToProto(payment.failureReason),
    ledgerTransferIds: [...payment.ledgerTransferIds],
    createdAt: payment.createdAt,
    updatedAt: payment.updatedAt,
    description: payment.description,
    reference: payment.reference,
    metadata: { ...payment.metadata },
  };
}

export function refundToProto(refund: RefundRecord, currency: string): Refund {
  if (refund.status === 'PENDING') throw new Error('a PENDING refund is never answered');
  return {
    refundId: refund.refundId,
    paymentId: refund.paymentId,
    amount: { amount: refund.amount, currency },
    reason: refund.reason,
    status: ProtoRefundStatus[`REFUND_STATUS_${refund.status}`],
    ledgerTransferId: refund.ledgerTransferId ?? '',
    createdAt: refund.createdAt,
    failureReason: failureReasonToProto(refund.failureReason),
  };
}
