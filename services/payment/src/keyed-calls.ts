// One keyed write from the first look at its idempotency key to its answer. The order is Stripe's:
// validation (the caller's, before this), then the key — a stored outcome is replayed, other
// parameters are IDEMPOTENCY_KEY_REUSED, a running first call is IDEMPOTENCY_KEY_IN_USE, an
// abandoned one is taken over and finished — then the checks and the claim of a new operation,
// then the drive. Refusals before the claim store nothing, not even the key.
//
// Redis locks keep concurrent work apart — one per key, so a concurrent retry learns IN_USE
// without touching Postgres, and one per payer account or payment, so that work on one
// resource queues instead of racing — but they are an optimisation: with Redis down or a lock
// lost, the unique key in Postgres and the fenced lease decide alone.
import * as grpc from '@grpc/grpc-js';
import type { Knex } from '../../mesh/src/database.js';
import { MeshError } from '../../mesh/src/errors.js';
import type { CallContext } from '../../mesh/src/rpc-runtime.js';
import type { LockKind, RedisLocks } from './coordination/index.js';
import type { KeyedRpc } from './domain/index.js';
import type { PaymentMetrics } from './payment-metrics.js';
import type { PaymentProcessor } from './payment-processor.js';
import {
  findOperation,
  takeOver,
  type ClaimResult,
  type Lease,
  type NewOperation,
  type OperationRecord,
  type StoredOutcome,
} from './store/index.js';

export interface KeyedCallSettings {
  /** Names this process's leases (see PaymentConfig.instanceId). */
  readonly holder: string;
  readonly leaseMs: number;
  /** How long a call waits for its payer's or payment's lock before going on without it. */
  readonly lockWaitMs: number;
}

export interface KeyedCall {
  readonly rpc: KeyedRpc;
  readonly scope: string;
  readonly idempotencyKey: string;
  readonly requestHash: Buffer;
  /** The lock of the resource the call works on: the payer account, or the payment. */
  readonly resource: { readonly kind: LockKind; readonly name: string };
  /**
   * The checks that need the database or other services, then the claim of `operation` (built
   * with the fields the runner gives). Throws the refusals, which store nothing.
   */
  readonly claim: (
    operation: Pick<
      NewOperation,
      'scope' | 'idempotencyKey' | 'rpc' | 'requestHash' | 'holder' | 'leaseMs'
    >,
  ) => Promise<ClaimResult>;
}

/** Two tries: a lost race for the key is settled by reading the winner's record once. */
const attemptsMax = 2;

export class KeyedCalls {
  constructor(
    private readonly db: Knex,
    private readonly locks: RedisLocks,
    private readonly processor: PaymentProcessor,
    private readonly metrics: PaymentMetrics,
    private readonly settings: KeyedCallSettings,
  ) {}

  async run(call: KeyedCall, context: CallContext): Promise<StoredOutcome> {
    const keyLock = await this.locks.tryAcquire(
      'idempotency_key',
      `${call.scope}\n${call.idempotencyKey}`,
    );
    try {
      for (let attempt = 1; attempt <= attemptsMax; attempt += 1) {
        const stored = await findOperation(this.db, call.scope, call.idempotencyKey);
        if (stored !== undefined) {
          return await this.resume(call, stored, keyLock.outcome === 'contended', context);
        }
        // Nothing stored: a contended key lock may be a call about to claim, or one that died
        // before it could (its lock outlives it). The claim's unique key decides either way.
        const claimed = await this.claimAndDrive(call, context);
        if (claimed !== undefined) return claimed;
      }
      throw new Error(`idempotency key of ${call.scope} neither stored nor claimable`);
    } finally {
      if (keyLock.outcome === 'acquired') void keyLock.lock.release();
    }
  }

  private async claimAndDrive(
    call: KeyedCall,
    context: CallContext,
  ): Promise<StoredOutcome | undefined> {
    const waitMs = Math.max(
      0,
      Math.min(this.settings.lockWaitMs, context.deadline.getTime() - Date.now()),
    );
    const resourceLock = await this.locks.acquire(call.resource.kind, call.resource.name, {
      waitMs,
      signal: context.signal,
    });
    try {
      refuseIfCallerGone(context);
      const claimed = await call.claim({
        scope: call.scope,
        idempotencyKey: call.idempotencyKey,
        rpc: call.rpc,
        requestHash: call.requestHash,
        holder: this.settings.holder,
        leaseMs: this.settings.leaseMs,
      });
      if (claimed.result !== 'claimed') {
        if (claimed.result === 'key_taken') return undefined;
        throw new Error('a claim refused by state must throw its own error');
      }
      const { operation } = claimed;
      return await this.processor.drive(
        { operation, version: operation.leaseVersion },
        context.trace,
        claimed.payment,
      );
    } finally {
      if (resourceLock.outcome === 'acquired') void resourceLock.lock.release();
    }
  }

  /** A key seen before: replay, refuse, or take over and finish what its first call left. */
  private async resume(
    call: KeyedCall,
    stored: OperationRecord,
    keyContended: boolean,
    context: CallContext,
  ): Promise<StoredOutcome> {
    if (stored.rpc !== call.rpc || !stored.requestHash.equals(call.requestHash)) {
      this.metrics.conflict(call.rpc, 'IDEMPOTENCY_KEY_REUSED');
      throw new MeshError(
        grpc.status.FAILED_PRECONDITION,
        'IDEMPOTENCY_KEY_REUSED',
        'idempotency_key was used before with another RPC or other parameters',
      );
    }
    if (stored.outcome !== undefined) {
      this.metrics.replayed(call.rpc);
      return stored.outcome;
    }
    if (keyContended) throw this.inUse(call);
    const lease: Lease | undefined = await takeOver(
      this.db,
      stored.operationId,
      this.settings.holder,
      this.settings.leaseMs,
    );
    if (lease === undefined) throw this.inUse(call);
    return this.processor.drive(lease, context.trace);
  }

  private inUse(call: KeyedCall): MeshError {
    this.metrics.conflict(call.rpc, 'IDEMPOTENCY_KEY_IN_USE');
    return new MeshError(
      grpc.status.ABORTED,
      'IDEMPOTENCY_KEY_IN_USE',
      'a call with this idempotency_key is still running; retry with backoff',
    );
  }
}

/**
 * Before a claim: a caller that has gone (deadline passed, cancelled) gets nothing started for it.
 * Nothing is stored yet, so this loses nothing; a retry starts afresh. It keeps a backlog of calls
 * nobody waits for from claiming work under load.
 */
export function refuseIfCallerGone(context: Pick<CallContext, 'signal'>): void {
  if (!context.signal.aborted) return;
  throw new MeshError(
    grpc.status.DEADLINE_EXCEEDED,
    'DEADLINE_EXCEEDED',
    'the caller went away before the payment was started; nothing was done',
  );
}

/** The stored outcome as the RPC's answer: the decoded response, or the stored error thrown. */
export function answerOf<Response>(
  outcome: StoredOutcome,
  decode: (bytes: Uint8Array) => Response,
): Response {
  if (outcome.kind === 'response') return decode(outcome.response);
  throw new MeshError(outcome.code, outcome.reason, outcome.message);
}
