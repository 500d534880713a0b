// The rules of payments that need neither the database nor the ledger: request validation per the
// proto comments, what "the same parameters" means for an idempotency key, who may pay from and
// see what, the ledger transfer ids a payment derives, and what a ledger decline means.
import { createHash } from 'node:crypto';
import {
  checkFreeText,
  checkMetadata,
  checkRequestKey,
  INT64_MAX,
  sortedMetadata,
  type Violation,
} from '../../../mesh/src/field-rules.js';
import { parseUuid, uuidv5 } from '../../../mesh/src/uuid.js';
import type {
  AccountFacts,
  CaptureMethod,
  CreatePaymentParams,
  FailureReason,
  KeyedRpc,
  PaymentCaller,
  PaymentRecord,
  PaymentStatus,
} from './types.js';

export const DESCRIPTION_LENGTH_MAX = 1000;
export const REFERENCE_LENGTH_MAX = 128;
export const REFUND_REASON_LENGTH_MAX = 500;
export const AUTHORIZATION_TTL_SECONDS_DEFAULT = 604_800;
export const AUTHORIZATION_TTL_SECONDS_MAX = 2_592_000;

export const FINAL_STATUSES: ReadonlySet<PaymentStatus> = new Set([
  'SUCCEEDED',
  'CANCELED',
  'FAILED',
]);

export interface MoneyInput {
  readonly amount: bigint;
  readonly currency: string;
}

export type Validated<T> = { ok: true; params: T } | { ok: false; violations: Violation[] };

function checkUuid(text: string, field: string): { id?: string; violations: Violation[] } {
  const id = parseUuid(text);
  return id === undefined
    ? { violations: [{ field, description: 'must be a UUID (8-4-4-4-12 hexadecimal)' }] }
    : { id, violations: [] };
}

function checkPositiveAmount(amount: bigint, field: string): Violation[] {
  if (amount < 1n) return [{ field, description: 'must be at least 1 minor unit' }];
  if (amount > INT64_MAX) return [{ field, description: 'must be at most 2^63-1' }];
  return [];
}

export interface CreatePaymentInput {
  readonly idempotencyKey: string;
  readonly payerAccountId: string;
  readonly payeeAccountId: string;
  readonly amount: MoneyInput | undefined;
  /** undefined when the request's value is unknown; UNSPECIFIED already mapped to AUTOMATIC. */
  readonly captureMethod: CaptureMethod | undefined;
  readonly authorizationTtlSeconds: number;
  readonly description: string;
  readonly reference: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export function validateCreatePayment(
  input: CreatePaymentInput,
  isCurrency: (code: string) => boolean,
): Validated<CreatePaymentParams> {
  const violations = [...checkRequestKey(input.idempotencyKey, 'idempotency_key')];
  const payer = checkUuid(input.payerAccountId, 'payer_account_id');
  const payee = checkUuid(input.payeeAccountId, 'payee_account_id');
  violations.push(...payer.violations, ...payee.violations);
  if (payer.id !== undefined && payer.id === payee.id) {
    violations.push({
      field: 'payee_account_id',
      description: 'must differ from payer_account_id',
    });
  }
  if (input.amount === undefined) {
    violations.push({ field: 'amount', description: 'is required' });
  } else {
    violations.push(...checkPositiveAmount(input.amount.amount, 'amount.amount'));
    if (!isCurrency(input.amount.currency)) {
      violations.push({
        field: 'amount.currency',
        description: 'must be an active ISO 4217 alpha-3 code in upper case (no X-codes)',
      });
    }
  }
  const ttl = input.authorizationTtlSeconds;
  if (input.captureMethod === undefined) {
    violations.push({ field: 'capture_method', description: 'must be AUTOMATIC or MANUAL' });
  } else if (input.captureMethod === 'AUTOMATIC' && ttl !== 0) {
    violations.push({
      field: 'authorization_ttl_seconds',
      description: 'must be 0 with AUTOMATIC capture',
    });
  } else if (ttl < 0 || ttl > AUTHORIZATION_TTL_SECONDS_MAX) {
    violations.push({
      field: 'authorization_ttl_seconds',
      description: `must be 0 (7 days) or 1 to ${AUTHORIZATION_TTL_SECONDS_MAX}`,
    });
  }
  violations.push(...checkFreeText(input.description, 'description', DESCRIPTION_LENGTH_MAX));
  violations.push(...checkFreeText(input.reference, 'reference', REFERENCE_LENGTH_MAX));
  violations.push(...checkMetadata(input.metadata));
  if (
    violations.length > 0 ||
    payer.id === undefined ||
    payee.id === undefined ||
    input.amount === undefined ||
    input.captureMethod === undefined
  ) {
    return { ok: false, violations };
  }
  return {
    ok: true,
    params: {
      payerAccountId: payer.id,
      payeeAccountId: payee.id,
      amount: input.amount.amount,
      currency: input.amount.currency,
      captureMethod: input.captureMethod,
      authorizationTtlSeconds:
        input.captureMethod === 'MANUAL' && ttl === 0 ? AUTHORIZATION_TTL_SECONDS_DEFAULT : ttl,
      description: input.description,
      reference: input.reference,
      metadata: input.metadata,
    },
  };
}

/** CapturePayment and RefundPayment name an amount or, absent or 0, "all". */
export interface PaymentActionParams {
  readonly paymentId: string;
  /** undefined: the whole amount (capture) or everything refundable (refund). */
  readonly amount: MoneyInput | undefined;
  readonly reason: string;
}

export interface PaymentActionInput {
  readonly idempotencyKey: string;
  readonly paymentId: string;
  readonly amount?: MoneyInput | undefined;
  readonly reason?: string;
}

/** CapturePayment, CancelPayment and RefundPayment requests, before the payment is read. */
export function validatePaymentAction(
  input: PaymentActionInput,
  isCurrency: (code: string) => boolean,
): Validated<PaymentActionParams> {
  const violations = [...checkRequestKey(input.idempotencyKey, 'idempotency_key')];
  const payment = checkUuid(input.paymentId, 'payment_id');
  violations.push(...payment.violations);
  const amount =
    input.amount === undefined || input.amount.amount === 0n ? undefined : input.amount;
  if (amount !== undefined) {
    violations.push(...checkPositiveAmount(amount.amount, 'amount.amount'));
    if (!isCurrency(amount.currency)) {
      violations.push({
        field: 'amount.currency',
        description: 'must be an active ISO 4217 alpha-3 code in upper case (no X-codes)',
      });
    }
  }
  violations.push(...checkFreeText(input.reason ?? '', 'reason', REFUND_REASON_LENGTH_MAX));
  if (violations.length > 0 || payment.id === undefined) return { ok: false, violations };
  return { ok: true, params: { paymentId: payment.id, amount, reason: input.reason ?? '' } };
}

/** Violations of an action's amount against its payment (currency, at most `limit`). */
export function checkActionAmount(
  amount: MoneyInput | undefined,
  payment: Pick<PaymentRecord, 'currency'>,
  limit: bigint,
  limitName: string,
): Violation[] {
  if (amount === undefined) return [];
  if (amount.currency !== payment.currency) {
    return [
      { field: 'amount.currency', description: `must be ${payment.currency}, the payment's` },
    ];
  }
  if (amount.amount > limit) {
    return [{ field: 'amount.amount', description: `must be at most ${limit} (${limitName})` }];
  }
  return [];
}

/**
 * The digest an idempotency key is bound to: the RPC and every parameter but the key, after
 * defaults, independent of metadata key order.
 */
export function requestHash(
  rpc: KeyedRpc,
  params: CreatePaymentParams | PaymentActionParams,
): Buffer {
  const fields =
    'payerAccountId' in params
      ? [
          params.payerAccountId,
          params.payeeAccountId,
          params.amount.toString(),
          params.currency,
          params.captureMethod,
          params.authorizationTtlSeconds,
          params.description,
          params.reference,
          sortedMetadata(params.metadata),
        ]
      : [
          params.paymentId,
          params.amount === undefined ? null : params.amount.amount.toString(),
          params.amount?.currency ?? null,
          params.reason,
        ];
  return createHash('sha256')
    .update(JSON.stringify([rpc, fields]), 'utf8')
    .digest();
}

export type PayerRefusal = 'not_found' | 'settlement';

/**
 * Why `caller` may not pay from `payer`, or undefined when it may. A partner pays only from
 * accounts it owns (another's is NOT_FOUND, as if missing); only client/admin pays from a
 * SETTLEMENT account.
 */
export function payerRefusal(caller: PaymentCaller, payer: AccountFacts): PayerRefusal | undefined {
  if (caller.kind === 'partner' && payer.ownerId !== caller.partnerId) return 'not_found';
  if (payer.kind === 'SETTLEMENT' && caller.kind !== 'admin') {
    return caller.kind === 'partner' ? 'not_found' : 'settlement';
  }
  return undefined;
}

/** Whether `caller` may see (and act on) `payment`: a partner only payments on its accounts. */
export function maySeePayment(
  caller: PaymentCaller,
  payment: Pick<PaymentRecord, 'payerOwnerId' | 'payeeOwnerId'>,
): boolean {
  return (
    caller.kind !== 'partner' ||
    payment.payerOwnerId === caller.partnerId ||
    payment.payeeOwnerId === caller.partnerId
  );
}

/** Namespace of every ledger transfer id a payment derives (a fixed, random UUID). */
export const LEDGER_TRANSFER_NAMESPACE = '3d0b6c57-8f42-4d8e-9a51-2f6c1e7b9d30';

export type PaymentTransferStep = 'authorize' | 'capture' | 'void';

/**
 * The ledger transfer id of a payment's step: the direct transfer or hold ('authorize'), its
 * post ('capture') or its void. The same on every attempt, so a re-drive can only get EXISTS.
 */
export function paymentTransferId(paymentId: string, step: PaymentTransferStep): string {
  return uuidv5(LEDGER_TRANSFER_NAMESPACE, `payment:${paymentId}:${step}`);
}

export function refundTransferId(refundId: string): string {
  return uuidv5(LEDGER_TRANSFER_NAMESPACE, `refund:${refundId}`);
}

/** Ledger transfer codes (the caller's reason code) of payment transfers. */
export const TRANSFER_CODES = { authorize: 1, capture: 2, void: 3, refund: 4 } as const;

/**
 * What a ledger status that declines a payment means to the payer, or undefined when the status
 * is not a business decline (a bug or a state the service never creates).
 */
export function failureReasonOf(ledgerStatus: string): FailureReason | undefined {
  switch (ledgerStatus) {
    case 'EXCEEDS_CREDITS':
      return 'INSUFFICIENT_FUNDS';
    case 'ACCOUNT_FROZEN':
    case 'ACCOUNT_CLOSED':
    case 'CURRENCY_MISMATCH':
    case 'OVERFLOW':
      return ledgerStatus;
    case 'PENDING_TRANSFER_EXPIRED':
      return 'AUTHORIZATION_EXPIRED';
    default:
      return undefined;
  }
}
