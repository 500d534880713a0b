// Payments and refunds as stored, and the reads of them: one payment, one refund, listings newest
// first by id (UUIDv7, so id order is creation order), and the expiry of holds nobody captured.
import type { Knex } from '../../../mesh/src/database.js';
import type {
  CaptureMethod,
  FailureReason,
  PaymentRecord,
  PaymentStatus,
  RefundRecord,
  RefundStatus,
} from '../domain/index.js';

/** The channel every payment change is announced on (payload: the payment id). */
export const PAYMENT_CHANGES_CHANNEL = 'clearmesh_payment_changed';

export interface PaymentRow {
  payment_id: string;
  idempotency_key: string;
  payer_account_id: string;
  payee_account_id: string;
  payer_owner_id: string;
  payee_owner_id: string;
  currency: string;
  amount: bigint;
  amount_captured: bigint;
  amount_refunded: bigint;
  capture_method: CaptureMethod;
  authorization_ttl_seconds: number;
  authorization_expires_at: Date | null;
  status: PaymentStatus;
  failure_reason: FailureReason | null;
  ledger_transfer_ids: string[];
  description: string;
  reference: string;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

export const paymentColumns = [
  'payment_id',
  'idempotency_key',
  'payer_account_id',
  'payee_account_id',
  'payer_owner_id',
  'payee_owner_id',
  'currency',
  'amount',
  'amount_captured',
  'amount_refunded',
  'capture_method',
  'authorization_ttl_seconds',
  'authorization_expires_at',
  'status',
  'failure_reason',
  'ledger_transfer_ids',
  'description',
  'reference',
  'metadata',
  'created_at',
  'updated_at',
] as const;

export function paymentOf(row: PaymentRow): PaymentRecord {
  return {
    paymentId: row.payment_id,
    idempotencyKey: row.idempotency_key,
    payerAccountId: row.payer_account_id,
    payeeAccountId: row.payee_account_id,
    payerOwnerId: row.payer_owner_id,
    payeeOwnerId: row.payee_owner_id,
    currency: row.currency,
    amount: row.amount,
    amountCaptured: row.amount_captured,
    amountRefunded: row.amount_refunded,
    captureMethod: row.capture_method,
    authorizationTtlSeconds: row.authorization_ttl_seconds,
    authorizationExpiresAt: row.authorization_expires_at ?? undefined,
    status: row.status,
    failureReason: row.failure_reason ?? undefined,
    ledgerTransferIds: row.ledger_transfer_ids,
    description: row.description,
    reference: row.reference,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function findPayment(
  db: Knex | Knex.Transaction,
  paymentId: string,
): Promise<PaymentRecord | undefined> {
  const row: PaymentRow | undefined = await db('payments')
    .where({ payment_id: paymentId })
    .first(...paymentColumns);
  return row === undefined ? undefined : paymentOf(row);
}

interface RefundRow {
  refund_id: string;
  payment_id: string;
  amount: bigint;
  reason: string;
  status: RefundStatus;
  failure_reason: FailureReason | null;
  ledger_transfer_id: string | null;
  created_at: Date;
}

export function refundOf(row: RefundRow): RefundRecord {
  return {
    refundId: row.refund_id,
    paymentId: row.payment_id,
    amount: row.amount,
    reason: row.reason,
    status: row.status,
    failureReason: row.failure_reason ?? undefined,
    ledgerTransferId: row.ledger_transfer_id ?? undefined,
    createdAt: row.created_at,
  };
}

export async function findRefund(db: Knex, refundId: string): Promise<RefundRecord | undefined> {
  const row = (await db('refunds').where({ refund_id: refundId }).first()) as RefundRow | undefined;
  return row === undefined ? undefined : refundOf(row);
}

export interface PaymentListQuery {
  /** Only payments where this account is payer or payee. */
  readonly accountId: string | undefined;
  /** Only payments with an account owned by this owner (a partner's listing). */
  readonly ownerId: string | undefined;
  readonly status: PaymentStatus | undefined;
  /** Only payments with a smaller id (older): the position after the previous page. */
  readonly before: string | undefined;
  readonly limit: number;
}

/** Payments newest first. Each side of an OR is an index range, so Postgres can merge them. */
export async function listPayments(db: Knex, query: PaymentListQuery): Promise<PaymentRecord[]> {
  const rows = (await db('payments')
    .select(...paymentColumns)
    .modify((builder) => {
      if (query.accountId !== undefined) {
        const accountId = query.accountId;
        void builder.where((where) => {
          void where.where('payer_account_id', accountId).orWhere('payee_account_id', accountId);
        });
      }
      if (query.ownerId !== undefined) {
        const ownerId = query.ownerId;
        void builder.where((where) => {
          void where.where('payer_owner_id', ownerId).orWhere('payee_owner_id', ownerId);
        });
      }
      if (query.status !== undefined) void builder.where('status', query.status);
      if (query.before !== undefined) void builder.where('payment_id', '<', query.before);
    })
    .orderBy('payment_id', 'desc')
    .limit(query.limit)) as PaymentRow[];
  return rows.map(paymentOf);
}

/**
 * Fails the MANUAL payments whose hold expired before anyone captured or canceled it (the ledger
 * has released, or is about to release, the funds): FAILED with AUTHORIZATION_EXPIRED. A payment
 * with a capture or cancel in flight is left to that operation, which learns the same from the
 * ledger. Answers the ids of the payments it failed.
 */
export async function expireAuthorizations(db: Knex, limit: number): Promise<string[]> {
  const result: { rows: { payment_id: string }[] } = await db.raw(
    `WITH expired AS (
       UPDATE payments SET status = 'FAILED', failure_reason = 'AUTHORIZATION_EXPIRED',
         updated_at = clock_timestamp()
       WHERE payment_id IN (
         SELECT payment_id FROM payments
         WHERE status = 'REQUIRES_CAPTURE' AND settling_operation_id IS NULL
           AND authorization_expires_at <= clock_timestamp()
         ORDER BY authorization_expires_at LIMIT ?
         FOR UPDATE SKIP LOCKED)
       RETURNING payment_id)
     SELECT payment_id, pg_notify(?, payment_id::text) FROM expired`,
    [limit, PAYMENT_CHANGES_CHANNEL],
  );
  return result.rows.map((row) => row.payment_id);
}
