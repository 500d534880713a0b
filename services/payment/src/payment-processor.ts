// Drives a leased operation to its outcome: the ledger call(s) of its step, then one fenced write
// of the outcome and the payment's (or refund's) new state. The same code runs for the first call,
// for a retry that takes over an abandoned operation, and for the recovery worker, so a re-drive
// is the first attempt again: transfer ids derived from the payment make every repeated ledger
// call answer EXISTS (or ID_ALREADY_FAILED with the first attempt's reason), and the lease version
// makes every write of a holder that lost its lease fail in Postgres.
import * as grpc from '@grpc/grpc-js';
import {
  CancelPaymentResponse,
  CapturePaymentResponse,
  CreatePaymentResponse,
  RefundPaymentResponse,
} from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import type { Knex } from '../../mesh/src/database.js';
import type { Logger } from '../../mesh/src/logger.js';
import type { TraceContext } from '../../mesh/src/trace-context.js';
import {
  failureReasonOf,
  paymentTransferId,
  refundTransferId,
  TRANSFER_CODES,
  type FailureReason,
  type PaymentRecord,
  type RefundRecord,
} from './domain/index.js';
import { paymentToProto, refundToProto } from './handlers/proto-mapping.js';
import type { LedgerOutcome, LedgerTransfers } from './ledger-transfers.js';
import type { PaymentMetrics } from './payment-metrics.js';
import {
  findOperationById,
  findPayment,
  findRefund,
  finishOperation,
  releaseLease,
  type Lease,
  type PaymentChange,
  type RefundChange,
  type StoredOutcome,
} from './store/index.js';
import { MeshError } from '../../mesh/src/errors.js';

/** Where a test may stop the process or stall a holder (the crash matrix, the paused holder). */
export type HookPoint = 'after_claim' | 'after_ledger_call' | 'before_record' | 'before_answer';
export type PaymentHooks = Partial<Record<HookPoint, (lease: Lease) => Promise<void> | void>>;

export interface PaymentProcessorOptions {
  readonly db: Knex;
  readonly ledger: LedgerTransfers;
  readonly metrics: PaymentMetrics;
  readonly logger: Logger;
  readonly hooks: PaymentHooks;
  /** updated_at of the changes it writes; tests may drive it. */
  readonly clock: () => Date;
}

type Finish =
  | { readonly outcome: StoredOutcome; readonly payment: PaymentChange }
  | { readonly outcome: StoredOutcome; readonly refund: RefundChange };

export class PaymentProcessor {
  constructor(private readonly options: PaymentProcessorOptions) {}

  /**
   * Runs `lease`'s operation to its stored outcome. A dependency failure gives the lease back (a
   * retry or recovery continues at once) and is thrown. A write refused by the fence answers the
   * outcome the new holder recorded, or IDEMPOTENCY_KEY_IN_USE while it still runs.
   */
  async drive(lease: Lease, trace?: TraceContext, claimed?: PaymentRecord): Promise<StoredOutcome> {
    try {
      await this.hook('after_claim', lease);
      const finish = await this.step(lease, trace, claimed);
      await this.hook('before_record', lease);
      const { outcome } = finish;
      const recorded = await finishOperation(
        this.options.db,
        lease,
        outcome,
        'payment' in finish ? { payment: finish.payment } : { refund: finish.refund },
      );
      if (!recorded) return await this.fenced(lease);
      this.count(finish);
      await this.hook('before_answer', lease);
      return outcome;
    } catch (error) {
      await releaseLease(this.options.db, lease).catch((releaseError: unknown) => {
        this.options.logger.warn({ err: releaseError }, 'giving a lease back failed');
      });
      throw error;
    }
  }

  /** `claimed`: the payment the claim just wrote, so the first drive need not read it back. */
  private async step(
    lease: Lease,
    trace: TraceContext | undefined,
    claimed: PaymentRecord | undefined,
  ): Promise<Finish> {
    const { operation } = lease;
    const payment = claimed ?? (await findPayment(this.options.db, operation.paymentId));
    if (payment === undefined) throw new Error(`payment ${operation.paymentId} missing`);
    switch (operation.rpc) {
      case 'CreatePayment':
        return this.create(lease, payment, trace);
      case 'CapturePayment':
        return this.capture(lease, payment, operation.captureAmount ?? payment.amount, trace);
      case 'CancelPayment':
        return this.cancel(lease, payment, trace);
      case 'RefundPayment': {
        const refundId = operation.refundId;
        const refund =
          refundId === undefined ? undefined : await findRefund(this.options.db, refundId);
        if (refund === undefined) throw new Error(`refund of ${operation.operationId} missing`);
        return this.refund(lease, payment, refund, trace);
      }
    }
  }

  private async create(
    lease: Lease,
    payment: PaymentRecord,
    trace: TraceContext | undefined,
  ): Promise<Finish> {
    const manual = payment.captureMethod === 'MANUAL';
    const authorizeId = paymentTransferId(payment.paymentId, 'authorize');
    const result = await this.options.ledger.submit(
      {
        id: authorizeId,
        debitAccountId: payment.payerAccountId,
        creditAccountId: payment.payeeAccountId,
        amount: payment.amount,
        currency: payment.currency,
        pending: manual,
        timeoutSeconds: manual ? payment.authorizationTtlSeconds : 0,
        code: TRANSFER_CODES.authorize,
        reference: payment.paymentId,
      },
      trace,
    );
    await this.hook('after_ledger_call', lease);
    const updatedAt = this.options.clock();
    let change: PaymentChange;
    if (result.kind === 'applied') {
      const createdAt = result.transfer.createdAt ?? updatedAt;
      change = manual
        ? {
            status: 'REQUIRES_CAPTURE',
            failureReason: undefined,
            amountCaptured: 0n,
            ledgerTransferIds: [authorizeId],
            authorizationExpiresAt: new Date(
              createdAt.getTime() + payment.authorizationTtlSeconds * 1000,
            ),
            updatedAt,
          }
        : {
            status: 'SUCCEEDED',
            failureReason: undefined,
            amountCaptured: payment.amount,
            ledgerTransferIds: [authorizeId],
            authorizationExpiresAt: undefined,
            updatedAt,
          };
    } else {
      change = {
        status: 'FAILED',
        failureReason: this.declineReason(result, payment),
        amountCaptured: 0n,
        ledgerTransferIds: [],
        authorizationExpiresAt: undefined,
        updatedAt,
      };
    }
    const response = CreatePaymentResponse.encode({
      payment: paymentToProto({ ...payment, ...change }),
    }).finish();
    return { outcome: { kind: 'response', response: Buffer.from(response) }, payment: change };
  }

  private async capture(
    lease: Lease,
    payment: PaymentRecord,
    amount: bigint,
    trace: TraceContext | undefined,
  ): Promise<Finish> {
    const authorizeId = paymentTransferId(payment.paymentId, 'authorize');
    const captureId = paymentTransferId(payment.paymentId, 'capture');
    const posted = await this.options.ledger.submit(
      {
        id: captureId,
        debitAccountId: payment.payerAccountId,
        creditAccountId: payment.payeeAccountId,
        amount,
        currency: payment.currency,
        postPendingId: authorizeId,
        code: TRANSFER_CODES.capture,
        reference: payment.paymentId,
      },
      trace,
    );
    await this.hook('after_ledger_call', lease);
    const base = { ...this.settled(payment), updatedAt: this.options.clock() };
    if (posted.kind === 'applied') {
      const change: PaymentChange = {
        ...base,
        status: 'SUCCEEDED',
        amountCaptured: amount,
        ledgerTransferIds: [...payment.ledgerTransferIds, captureId],
      };
      return this.paymentResponse(CapturePaymentResponse, payment, change);
    }
    const reason = this.declineReason(posted, payment);
    if (reason === 'AUTHORIZATION_EXPIRED') return this.expired(payment, base);
    // The post was declined (an account frozen or closed since the hold, an overflow): release
    // the hold now rather than leave the money held until it expires.
    const voided = await this.voidHold(payment, trace);
    const change: PaymentChange = {
      ...base,
      status: 'FAILED',
      failureReason: reason,
      ledgerTransferIds: voided
        ? [...payment.ledgerTransferIds, voided]
        : payment.ledgerTransferIds,
    };
    return this.paymentResponse(CapturePaymentResponse, payment, change);
  }

  private async cancel(
    lease: Lease,
    payment: PaymentRecord,
    trace: TraceContext | undefined,
  ): Promise<Finish> {
    const voided = await this.voidHold(payment, trace);
    await this.hook('after_ledger_call', lease);
    const base = { ...this.settled(payment), updatedAt: this.options.clock() };
    if (voided === undefined) return this.expired(payment, base);
    const change: PaymentChange = {
      ...base,
      status: 'CANCELED',
      ledgerTransferIds: [...payment.ledgerTransferIds, voided],
    };
    return this.paymentResponse(CancelPaymentResponse, payment, change);
  }

  private async refund(
    lease: Lease,
    payment: PaymentRecord,
    refund: RefundRecord,
    trace: TraceContext | undefined,
  ): Promise<Finish> {
    const transferId = refundTransferId(refund.refundId);
    const result = await this.options.ledger.submit(
      {
        id: transferId,
        debitAccountId: payment.payeeAccountId,
        creditAccountId: payment.payerAccountId,
        amount: refund.amount,
        currency: payment.currency,
        code: TRANSFER_CODES.refund,
        reference: payment.paymentId,
      },
      trace,
    );
    await this.hook('after_ledger_call', lease);
    const succeeded = result.kind === 'applied';
    const failureReason = succeeded ? undefined : this.declineReason(result, payment);
    const change: RefundChange = {
      refundId: refund.refundId,
      amount: refund.amount,
      succeeded,
      failureReason,
      ledgerTransferId: transferId,
      updatedAt: this.options.clock(),
    };
    const answered: RefundRecord = {
      ...refund,
      status: succeeded ? 'SUCCEEDED' : 'FAILED',
      failureReason,
      ledgerTransferId: succeeded ? transferId : undefined,
    };
    const response = RefundPaymentResponse.encode({
      refund: refundToProto(answered, payment.currency),
    }).finish();
    return { outcome: { kind: 'response', response: Buffer.from(response) }, refund: change };
  }

  /** Voids the payment's hold; the void's id, or undefined when the hold had already expired. */
  private async voidHold(
    payment: PaymentRecord,
    trace: TraceContext | undefined,
  ): Promise<string | undefined> {
    const voidId = paymentTransferId(payment.paymentId, 'void');
    const result = await this.options.ledger.submit(
      {
        id: voidId,
        debitAccountId: payment.payerAccountId,
        creditAccountId: payment.payeeAccountId,
        amount: 0n,
        currency: payment.currency,
        voidPendingId: paymentTransferId(payment.paymentId, 'authorize'),
        code: TRANSFER_CODES.void,
        reference: payment.paymentId,
      },
      trace,
    );
    if (result.kind === 'applied') return voidId;
    if (this.declineReason(result, payment) === 'AUTHORIZATION_EXPIRED') return undefined;
    throw new Error(`the ledger refused to void payment ${payment.paymentId}: ${result.status}`);
  }

  /** The payment's state fields a capture or cancel starts from. */
  private settled(payment: PaymentRecord): Omit<PaymentChange, 'updatedAt'> {
    return {
      status: payment.status,
      failureReason: payment.failureReason,
      amountCaptured: payment.amountCaptured,
      ledgerTransferIds: payment.ledgerTransferIds,
      authorizationExpiresAt: payment.authorizationExpiresAt,
    };
  }

  /** The hold expired before it was captured or canceled: FAILED, and the call INVALID_STATE. */
  private expired(payment: PaymentRecord, base: PaymentChange): Finish {
    return {
      outcome: {
        kind: 'error',
        code: grpc.status.FAILED_PRECONDITION,
        reason: 'INVALID_STATE',
        message: `payment ${payment.paymentId} is FAILED: its authorization expired`,
      },
      payment: { ...base, status: 'FAILED', failureReason: 'AUTHORIZATION_EXPIRED' },
    };
  }

  private paymentResponse(
    type: typeof CapturePaymentResponse | typeof CancelPaymentResponse,
    payment: PaymentRecord,
    change: PaymentChange,
  ): Finish {
    const response = type.encode({ payment: paymentToProto({ ...payment, ...change }) }).finish();
    return { outcome: { kind: 'response', response: Buffer.from(response) }, payment: change };
  }

  /** The failure reason of a ledger decline; a status that is no business decline is our bug. */
  private declineReason(
    result: LedgerOutcome & { kind: 'declined' },
    payment: PaymentRecord,
  ): FailureReason {
    const reason = failureReasonOf(result.status);
    if (reason === undefined) {
      throw new Error(`the ledger answered ${result.status} for payment ${payment.paymentId}`);
    }
    return reason;
  }

  /** Another holder took the operation over: its outcome once recorded, IN_USE until then. */
  private async fenced(lease: Lease): Promise<StoredOutcome> {
    this.options.metrics.fenced(lease.operation.rpc);
    this.options.logger.warn(
      { operationId: lease.operation.operationId, leaseVersion: lease.version.toString() },
      'write refused by the fence: another holder took the operation over',
    );
    const current = await findOperationById(this.options.db, lease.operation.operationId);
    if (current?.outcome !== undefined) return current.outcome;
    throw new MeshError(
      grpc.status.ABORTED,
      'IDEMPOTENCY_KEY_IN_USE',
      'another call with this idempotency_key is finishing the operation; retry with backoff',
    );
  }

  private count(finish: Finish): void {
    if ('payment' in finish) {
      this.options.metrics.paymentReached(finish.payment.status, finish.payment.failureReason);
    } else {
      const { refund } = finish;
      this.options.metrics.refundFinished(
        refund.succeeded ? 'SUCCEEDED' : 'FAILED',
        refund.failureReason,
      );
    }
  }

  private async hook(point: HookPoint, lease: Lease): Promise<void> {
    await this.options.hooks[point]?.(lease);
  }
}
