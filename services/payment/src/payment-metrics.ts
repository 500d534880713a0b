// The payment service's domain metrics (SPEC §6), on the process registry next to the RPC and
// lock metrics: payments and refunds by outcome, idempotent replays and key conflicts, fencing
// rejections (a stalled holder's write refused by Postgres), recovery re-drives and expirations.
import type { Counter, Registry } from 'prom-client';
import { counterOn } from '../../mesh/src/redis-client.js';
import type { FailureReason, KeyedRpc, PaymentStatus, RefundStatus } from './domain/index.js';

export type RedriveOutcome = 'finished' | 'failed' | 'lost';

function counter<Label extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly Label[],
): Counter<Label> {
  return counterOn(registry, { name, help, labelNames });
}

export class PaymentMetrics {
  private readonly payments: Counter<'status' | 'failure_reason'>;
  private readonly refunds: Counter<'status' | 'failure_reason'>;
  private readonly replays: Counter<'rpc'>;
  private readonly conflicts: Counter<'rpc' | 'reason'>;
  private readonly fencing: Counter<'rpc'>;
  private readonly redrives: Counter<'rpc' | 'outcome'>;
  private readonly expirations: Counter;

  constructor(registry: Registry) {
    this.payments = counter(
      registry,
      'clearmesh_payments_total',
      'Payments that reached a status (REQUIRES_CAPTURE, SUCCEEDED, CANCELED, FAILED), by status and failure reason.',
      ['status', 'failure_reason'],
    );
    this.refunds = counter(
      registry,
      'clearmesh_payment_refunds_total',
      'Refunds by outcome and failure reason.',
      ['status', 'failure_reason'],
    );
    this.replays = counter(
      registry,
      'clearmesh_payment_idempotent_replays_total',
      'Keyed calls answered with the stored outcome of an earlier call with the same key.',
      ['rpc'],
    );
    this.conflicts = counter(
      registry,
      'clearmesh_payment_idempotency_conflicts_total',
      'Keyed calls refused: IDEMPOTENCY_KEY_IN_USE (the first still runs) or IDEMPOTENCY_KEY_REUSED (other parameters).',
      ['rpc', 'reason'],
    );
    this.fencing = counter(
      registry,
      'clearmesh_payment_fencing_rejections_total',
      'Writes refused by Postgres because another holder took the operation over (its lease version moved on).',
      ['rpc'],
    );
    this.redrives = counter(
      registry,
      'clearmesh_payment_recovery_redrives_total',
      'Operations the recovery worker re-drove, by outcome (finished; failed: will be tried again; lost: another holder took it).',
      ['rpc', 'outcome'],
    );
    this.expirations = counter(
      registry,
      'clearmesh_payment_authorizations_expired_total',
      'MANUAL payments failed with AUTHORIZATION_EXPIRED because nobody captured them in time.',
      [],
    );
  }

  paymentReached(status: PaymentStatus, failureReason: FailureReason | undefined): void {
    this.payments.inc({ status, failure_reason: failureReason ?? '' });
  }

  refundFinished(status: RefundStatus, failureReason: FailureReason | undefined): void {
    this.refunds.inc({ status, failure_reason: failureReason ?? '' });
  }

  replayed(rpc: KeyedRpc): void {
    this.replays.inc({ rpc });
  }

  conflict(rpc: KeyedRpc, reason: 'IDEMPOTENCY_KEY_IN_USE' | 'IDEMPOTENCY_KEY_REUSED'): void {
    this.conflicts.inc({ rpc, reason });
  }

  fenced(rpc: KeyedRpc): void {
    this.fencing.inc({ rpc });
  }

  redriven(rpc: KeyedRpc, outcome: RedriveOutcome): void {
    this.redrives.inc({ rpc, outcome });
  }

  authorizationsExpired(count: number): void {
    if (count === 0) return;
    this.expirations.inc(count);
    this.payments.inc({ status: 'FAILED', failure_reason: 'AUTHORIZATION_EXPIRED' }, count);
  }
}
