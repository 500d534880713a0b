// The payment service's domain values, free of proto and SQL: payments and refunds as stored, the
// keyed operations that change them, and who calls.
import type { MeshCaller } from '../../../mesh/src/mesh-caller.js';

export type PaymentStatus = 'PENDING' | 'REQUIRES_CAPTURE' | 'SUCCEEDED' | 'CANCELED' | 'FAILED';
export type FailureReason =
  | 'INSUFFICIENT_FUNDS'
  | 'ACCOUNT_FROZEN'
  | 'ACCOUNT_CLOSED'
  | 'CURRENCY_MISMATCH'
  | 'AUTHORIZATION_EXPIRED'
  | 'OVERFLOW';
export type CaptureMethod = 'AUTOMATIC' | 'MANUAL';
export type RefundStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';

/** The four keyed writes of PaymentService: each is one row of `operations`. */
export type KeyedRpc = 'CreatePayment' | 'CapturePayment' | 'CancelPayment' | 'RefundPayment';

/** What CreatePayment asks for, validated and with defaults applied. */
export interface CreatePaymentParams {
  readonly payerAccountId: string;
  readonly payeeAccountId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly captureMethod: CaptureMethod;
  /** 0 for AUTOMATIC; 1 to 2592000 for MANUAL. */
  readonly authorizationTtlSeconds: number;
  readonly description: string;
  readonly reference: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PaymentRecord extends CreatePaymentParams {
  readonly paymentId: string;
  readonly idempotencyKey: string;
  readonly payerOwnerId: string;
  readonly payeeOwnerId: string;
  readonly amountCaptured: bigint;
  readonly amountRefunded: bigint;
  readonly status: PaymentStatus;
  readonly failureReason: FailureReason | undefined;
  /** When the MANUAL hold expires, by the ledger's clock; undefined until it is placed. */
  readonly authorizationExpiresAt: Date | undefined;
  readonly ledgerTransferIds: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface RefundRecord {
  readonly refundId: string;
  readonly paymentId: string;
  readonly amount: bigint;
  readonly reason: string;
  readonly status: RefundStatus;
  readonly failureReason: FailureReason | undefined;
  readonly ledgerTransferId: string | undefined;
  readonly createdAt: Date;
}

/** Who calls, as far as payments are concerned: the mesh's caller (only client/admin pays from
 * SETTLEMENT accounts; a partner pays from and sees only its own). */
export type PaymentCaller = MeshCaller;

/** The facts of an account a payment needs; none of them ever changes once it is open. */
export interface AccountFacts {
  readonly accountId: string;
  readonly ownerId: string;
  readonly kind: 'CUSTOMER' | 'SETTLEMENT';
  readonly currency: string;
}
