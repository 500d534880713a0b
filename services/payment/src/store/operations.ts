// The keyed operations (idempotency records) and every write that changes a payment: the claim
// that starts an operation together with its payment or refund, the lease a retry or the recovery
// worker takes over, and the fenced finish that records the outcome. Each write is one statement
// or one transaction, so a crash between any two leaves a state recovery can finish from.
import * as grpc from '@grpc/grpc-js';
import type { Knex } from '../../../mesh/src/database.js';
import type { ErrorReason } from '../../../mesh/src/errors.js';
import type {
  FailureReason,
  KeyedRpc,
  PaymentRecord,
  PaymentStatus,
  RefundRecord,
} from '../domain/index.js';
import { PAYMENT_CHANGES_CHANNEL } from './payments.js';

/** What a finished operation answers on every replay. */
export type StoredOutcome =
  | { readonly kind: 'response'; readonly response: Buffer }
  | {
      readonly kind: 'error';
      readonly code: grpc.status;
      readonly reason: ErrorReason;
      readonly message: string;
    };

export interface OperationRecord {
  readonly operationId: string;
  readonly scope: string;
  readonly idempotencyKey: string;
  readonly rpc: KeyedRpc;
  readonly requestHash: Buffer;
  readonly paymentId: string;
  readonly refundId: string | undefined;
  /** CapturePayment: the amount to post; undefined means the whole amount. */
  readonly captureAmount: bigint | undefined;
  readonly state: 'RUNNING' | 'DONE';
  readonly leaseVersion: bigint;
  readonly leasedUntil: Date;
  readonly holder: string;
  /** Set once DONE. */
  readonly outcome: StoredOutcome | undefined;
  readonly createdAt: Date;
}

/** A RUNNING operation and the lease version its current holder writes with. */
export interface Lease {
  readonly operation: OperationRecord;
  readonly version: bigint;
}

interface OperationRow {
  operation_id: string;
  scope: string;
  idempotency_key: string;
  rpc: KeyedRpc;
  request_hash: Buffer;
  payment_id: string;
  refund_id: string | null;
  capture_amount: bigint | null;
  state: 'RUNNING' | 'DONE';
  lease_version: bigint;
  leased_until: Date;
  holder: string;
  response: Buffer | null;
  /** The gRPC status name, e.g. FAILED_PRECONDITION. */
  error_code: keyof typeof grpc.status | null;
  error_reason: ErrorReason | null;
  error_message: string | null;
  created_at: Date;
}

function operationOf(row: OperationRow): OperationRecord {
  let outcome: StoredOutcome | undefined;
  if (row.response !== null) outcome = { kind: 'response', response: row.response };
  else if (row.error_code !== null) {
    outcome = {
      kind: 'error',
      code: grpc.status[row.error_code],
      reason: row.error_reason ?? 'INTERNAL_ERROR',
      message: row.error_message ?? '',
    };
  }
  return {
    operationId: row.operation_id,
    scope: row.scope,
    idempotencyKey: row.idempotency_key,
    rpc: row.rpc,
    requestHash: row.request_hash,
    paymentId: row.payment_id,
    refundId: row.refund_id ?? undefined,
    captureAmount: row.capture_amount ?? undefined,
    state: row.state,
    leaseVersion: row.lease_version,
    leasedUntil: row.leased_until,
    holder: row.holder,
    outcome,
    createdAt: row.created_at,
  };
}

export async function findOperation(
  db: Knex,
  scope: string,
  idempotencyKey: string,
): Promise<OperationRecord | undefined> {
  const row = (await db('operations').where({ scope, idempotency_key: idempotencyKey }).first()) as
    OperationRow | undefined;
  return row === undefined ? undefined : operationOf(row);
}

/** A new operation, before it is claimed. */
export interface NewOperation {
  readonly operationId: string;
  readonly scope: string;
  readonly idempotencyKey: string;
  readonly rpc: KeyedRpc;
  readonly requestHash: Buffer;
  readonly paymentId: string;
  readonly refundId?: string;
  readonly captureAmount?: bigint;
  readonly holder: string;
  readonly leaseMs: number;
  readonly createdAt: Date;
}

function operationRowOf(operation: NewOperation): Record<string, unknown> {
  return {
    operation_id: operation.operationId,
    scope: operation.scope,
    idempotency_key: operation.idempotencyKey,
    rpc: operation.rpc,
    request_hash: operation.requestHash,
    payment_id: operation.paymentId,
    refund_id: operation.refundId ?? null,
    capture_amount: operation.captureAmount?.toString() ?? null,
    state: 'RUNNING',
    lease_version: '1',
    holder: operation.holder,
    created_at: operation.createdAt,
  };
}

const keyTaken = new Error('idempotency key taken');
const stateRefused = new Error('payment state refuses the operation');

export type ClaimResult =
  | {
      readonly result: 'claimed';
      readonly operation: OperationRecord;
      /** The payment as the claim wrote it, when the claim created it (CreatePayment). */
      readonly payment?: PaymentRecord;
    }
  | { readonly result: 'key_taken' | 'invalid_state' };

async function claim(
  db: Knex,
  operation: NewOperation,
  write: (trx: Knex.Transaction) => Promise<boolean>,
): Promise<ClaimResult> {
  try {
    const row = await db.transaction(async (trx) => {
      if (!(await write(trx))) throw stateRefused;
      const inserted = (await trx('operations')
        .insert({
          ...operationRowOf(operation),
          leased_until: trx.raw(`clock_timestamp() + ? * interval '1 millisecond'`, [
            operation.leaseMs,
          ]),
        })
        .onConflict(['scope', 'idempotency_key'])
        .ignore()
        .returning('*')) as OperationRow[];
      // Throwing rolls the payment's change back with the transaction.
      const claimed = inserted[0];
      if (claimed === undefined) throw keyTaken;
      return claimed;
    });
    return { result: 'claimed', operation: operationOf(row) };
  } catch (error) {
    if (error === keyTaken) return { result: 'key_taken' };
    if (error === stateRefused) return { result: 'invalid_state' };
    throw error;
  }
}

/**
 * CreatePayment's claim: the operation and its PENDING payment, or neither — one statement, so
 * one round trip on the hot path (the foreign key from the operation to its payment is checked at
 * the end of the statement, once both rows exist).
 */
export async function claimCreatePayment(
  db: Knex,
  operation: NewOperation,
  payment: PaymentRecord,
): Promise<ClaimResult> {
  const result: { rows: OperationRow[] } = await db.raw(
    `WITH op AS (
       INSERT INTO operations (operation_id, scope, idempotency_key, rpc, request_hash, payment_id,
         state, lease_version, holder, created_at, leased_until)
       VALUES (?, ?, ?, 'CreatePayment', ?, ?, 'RUNNING', 1, ?, ?,
         clock_timestamp() + ? * interval '1 millisecond')
       ON CONFLICT (scope, idempotency_key) DO NOTHING
       RETURNING *),
     payment AS (
       INSERT INTO payments (payment_id, idempotency_key, payer_account_id, payee_account_id,
         payer_owner_id, payee_owner_id, currency, amount, capture_method,
         authorization_ttl_seconds, status, description, reference, metadata, created_at,
         updated_at)
       SELECT ?::uuid, ?::text, ?::uuid, ?::uuid, ?::text, ?::text, ?::text, ?::bigint, ?::text,
         ?::integer, 'PENDING', ?::text, ?::text, ?::jsonb, ?::timestamptz, ?::timestamptz
       FROM op)
     SELECT * FROM op`,
    [
      operation.operationId,
      operation.scope,
      operation.idempotencyKey,
      operation.requestHash,
      payment.paymentId,
      operation.holder,
      operation.createdAt,
      operation.leaseMs,
      payment.paymentId,
      payment.idempotencyKey,
      payment.payerAccountId,
      payment.payeeAccountId,
      payment.payerOwnerId,
      payment.payeeOwnerId,
      payment.currency,
      payment.amount.toString(),
      payment.captureMethod,
      payment.authorizationTtlSeconds,
      payment.description,
      payment.reference,
      JSON.stringify(payment.metadata),
      payment.createdAt,
      payment.updatedAt,
    ],
  );
  const row = result.rows[0];
  return row === undefined
    ? { result: 'key_taken' }
    : { result: 'claimed', operation: operationOf(row), payment };
}

/**
 * CapturePayment's and CancelPayment's claim: the payment must be REQUIRES_CAPTURE with no other
 * capture or cancel in flight, and is marked as settling by this operation.
 */
export function claimSettlement(db: Knex, operation: NewOperation): Promise<ClaimResult> {
  return claim(db, operation, async (trx) => {
    const updated = await trx('payments')
      .where({ payment_id: operation.paymentId, status: 'REQUIRES_CAPTURE' })
      .whereNull('settling_operation_id')
      .update({ settling_operation_id: operation.operationId });
    return updated === 1;
  });
}

/**
 * RefundPayment's claim: reserves `refund.amount` of what the payment has captured and not yet
 * refunded or reserved (the check and the reservation are one row update, so concurrent refunds
 * can never together exceed the capture), and writes the PENDING refund.
 */
export function claimRefund(
  db: Knex,
  operation: NewOperation,
  refund: RefundRecord,
): Promise<ClaimResult> {
  return claim(db, operation, async (trx) => {
    const updated = await trx('payments')
      .where({ payment_id: refund.paymentId, status: 'SUCCEEDED' })
      .whereRaw('amount_captured - amount_refunded - refund_reserved >= ?', [
        refund.amount.toString(),
      ])
      .update({ refund_reserved: trx.raw('refund_reserved + ?', [refund.amount.toString()]) });
    if (updated !== 1) return false;
    await trx('refunds').insert({
      refund_id: refund.refundId,
      payment_id: refund.paymentId,
      amount: refund.amount.toString(),
      reason: refund.reason,
      status: 'PENDING',
      failure_reason: null,
      ledger_transfer_id: null,
      created_at: refund.createdAt,
    });
    return true;
  });
}

/** What remains refundable on a payment: captured, minus refunded and reserved. */
export async function refundableAmount(db: Knex, paymentId: string): Promise<bigint> {
  const row: { refundable: bigint } | undefined = await db('payments')
    .where({ payment_id: paymentId })
    .first(db.raw('amount_captured - amount_refunded - refund_reserved AS refundable'));
  return row?.refundable ?? 0n;
}

/**
 * A lease holder's name: the instance (stable across restarts) and the process's start, so that
 * a restarted instance can tell its earlier lives' leases from its own.
 */
export function holderName(instanceId: string, startedAtMs: number): string {
  return `${instanceId} ${startedAtMs}`;
}

/** Leases of `instanceId` held by another life of it than `holder` (they died with it). */
function whereReclaimable(
  db: Knex,
  where: Knex.QueryBuilder,
  holder: string,
  reclaim: boolean,
): void {
  void where.where('leased_until', '<=', db.raw('clock_timestamp()'));
  if (!reclaim) return;
  const instance = holder.slice(0, holder.lastIndexOf(' ') + 1);
  void where.orWhere((earlier) => {
    void earlier
      .whereRaw('left(holder, ?) = ?', [instance.length, instance])
      .whereNot('holder', holder);
  });
}

/**
 * Takes over a RUNNING operation whose lease has run out (its holder crashed, stalled or gave it
 * back), or with `reclaim` one an earlier life of this instance held (it died with that process):
 * a new lease version, which fences off every write of earlier holders. Undefined when another
 * holder has it.
 */
export async function takeOver(
  db: Knex,
  operationId: string,
  holder: string,
  leaseMs: number,
  reclaim = false,
): Promise<Lease | undefined> {
  const rows = (await db('operations')
    .where({ operation_id: operationId, state: 'RUNNING' })
    .where((where) => {
      whereReclaimable(db, where, holder, reclaim);
    })
    .update({
      lease_version: db.raw('lease_version + 1'),
      leased_until: db.raw(`clock_timestamp() + ? * interval '1 millisecond'`, [leaseMs]),
      holder,
    })
    .returning('*')) as OperationRow[];
  const row = rows[0];
  return row === undefined
    ? undefined
    : { operation: operationOf(row), version: row.lease_version };
}

/** Gives a lease back early (its holder could not finish): a retry or recovery may take over. */
export async function releaseLease(db: Knex, lease: Lease): Promise<void> {
  await db('operations')
    .where({
      operation_id: lease.operation.operationId,
      lease_version: lease.version.toString(),
      state: 'RUNNING',
    })
    .update({ leased_until: db.raw('clock_timestamp()') });
}

/** RUNNING operations takeOver would take (same `reclaim` rule); oldest lease first. */
export async function listAbandoned(
  db: Knex,
  limit: number,
  holder: string,
  reclaim = false,
): Promise<string[]> {
  const rows: { operation_id: string }[] = await db('operations')
    .where({ state: 'RUNNING' })
    .where((where) => {
      whereReclaimable(db, where, holder, reclaim);
    })
    .orderBy('leased_until')
    .limit(limit)
    .select('operation_id');
  return rows.map((row) => row.operation_id);
}

/** The new state of a payment an operation finishes with (create, capture, cancel). */
export interface PaymentChange {
  readonly status: PaymentStatus;
  readonly failureReason: FailureReason | undefined;
  readonly amountCaptured: bigint;
  readonly ledgerTransferIds: readonly string[];
  readonly authorizationExpiresAt: Date | undefined;
  readonly updatedAt: Date;
}

/** A refund's outcome and what it does to its payment. */
export interface RefundChange {
  readonly refundId: string;
  readonly amount: bigint;
  readonly succeeded: boolean;
  readonly failureReason: FailureReason | undefined;
  readonly ledgerTransferId: string;
  readonly updatedAt: Date;
}

/**
 * Records an operation's outcome and its change to the payment (or refund) in one transaction,
 * fenced: only the holder of the current lease version writes; anyone else changes nothing and
 * gets false. Watchers hear of the change when it commits.
 */
export async function finishOperation(
  db: Knex,
  lease: Lease,
  outcome: StoredOutcome,
  change: { readonly payment: PaymentChange } | { readonly refund: RefundChange },
): Promise<boolean> {
  const { operation } = lease;
  // One statement: the fenced outcome, then the changes joined to it, so nothing is written when
  // the fence refuses; the notification is delivered when the statement commits.
  const fenced = `op AS (
       UPDATE operations SET state = 'DONE', response = ?, error_code = ?, error_reason = ?,
         error_message = ?, finished_at = clock_timestamp(), leased_until = clock_timestamp()
       WHERE operation_id = ? AND lease_version = ? AND state = 'RUNNING'
       RETURNING payment_id)`;
  const fencedBindings = [
    outcome.kind === 'response' ? outcome.response : null,
    outcome.kind === 'error' ? grpc.status[outcome.code] : null,
    outcome.kind === 'error' ? outcome.reason : null,
    outcome.kind === 'error' ? outcome.message : null,
    operation.operationId,
    lease.version.toString(),
  ];
  let result: { rows: unknown[] };
  if ('payment' in change) {
    const { payment } = change;
    result = await db.raw(
      `WITH ${fenced},
       changed AS (
         UPDATE payments SET status = ?, failure_reason = ?, amount_captured = ?,
           ledger_transfer_ids = ?::uuid[], authorization_expires_at = ?,
           settling_operation_id = NULL, updated_at = ?
         FROM op WHERE payments.payment_id = op.payment_id
         RETURNING payments.payment_id)
       SELECT pg_notify(?, payment_id::text) FROM changed`,
      [
        ...fencedBindings,
        payment.status,
        payment.failureReason ?? null,
        payment.amountCaptured.toString(),
        [...payment.ledgerTransferIds],
        payment.authorizationExpiresAt ?? null,
        payment.updatedAt,
        PAYMENT_CHANGES_CHANNEL,
      ],
    );
  } else {
    const { refund } = change;
    const amount = refund.amount.toString();
    result = await db.raw(
      `WITH ${fenced},
       refunded AS (
         UPDATE refunds SET status = ?, failure_reason = ?, ledger_transfer_id = ?
         FROM op WHERE refunds.refund_id = ? AND refunds.payment_id = op.payment_id
         RETURNING refunds.payment_id),
       changed AS (
         UPDATE payments SET refund_reserved = refund_reserved - ?::bigint,
           amount_refunded = amount_refunded + ?::bigint,
           ledger_transfer_ids = CASE WHEN ?::boolean
             THEN array_append(ledger_transfer_ids, ?::uuid) ELSE ledger_transfer_ids END,
           updated_at = CASE WHEN ?::boolean THEN ?::timestamptz ELSE updated_at END
         FROM refunded WHERE payments.payment_id = refunded.payment_id
         RETURNING payments.payment_id)
       SELECT pg_notify(?, payment_id::text) FROM changed`,
      [
        ...fencedBindings,
        refund.succeeded ? 'SUCCEEDED' : 'FAILED',
        refund.failureReason ?? null,
        refund.succeeded ? refund.ledgerTransferId : null,
        refund.refundId,
        amount,
        refund.succeeded ? amount : '0',
        refund.succeeded,
        refund.ledgerTransferId,
        refund.succeeded,
        refund.updatedAt,
        PAYMENT_CHANGES_CHANNEL,
      ],
    );
  }
  return result.rows.length === 1;
}

/** Deletes the DONE operations finished more than `retentionMs` ago; answers how many. */
export async function reapOperations(
  db: Knex,
  retentionMs: number,
  limit: number,
): Promise<number> {
  return db('operations')
    .whereIn(
      'operation_id',
      db('operations')
        .where({ state: 'DONE' })
        .where(
          'finished_at',
          '<',
          db.raw(`clock_timestamp() - ? * interval '1 millisecond'`, [retentionMs]),
        )
        .limit(limit)
        .select('operation_id'),
    )
    .delete();
}

export async function findOperationById(
  db: Knex,
  operationId: string,
): Promise<OperationRecord | undefined> {
  const row = (await db('operations').where({ operation_id: operationId }).first()) as
    OperationRow | undefined;
  return row === undefined ? undefined : operationOf(row);
}
