// The crash matrix (issue 6; SPEC §3.3: a crash at any point leaves no payment stuck, and money
// moves once). A real payment process is SIGKILLed at each of the four points of a keyed operation
// — after claiming its key, after the ledger call, before recording the result, before answering
// — 20 times per point, in CreatePayment (AUTOMATIC and MANUAL), CapturePayment, CancelPayment and
// RefundPayment. Each time it is restarted as the same instance and the client retries with the
// same key until OK. Then every payment must be final, with exactly the ledger transfers its story
// calls for, every keyed operation done once, balances that are the sum of the payments, and a
// ledger that passes its integrity check. Ledger and account run as real processes too.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Registry } from 'prom-client';
import {
  ClientError,
  createAccountClient,
  createLedgerClient,
  createPaymentClient,
  type AccountClient,
  type LedgerClient,
  type PaymentClient,
} from '../../../clients/internal/src/index.js';
import { AccountKind } from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import type { Transfer } from '../../../gen/grpc-js/clearmesh/ledger/v1/transfer.js';
import {
  CaptureMethod,
  PaymentFailureReason,
  PaymentStatus,
  type Payment,
} from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { RefundStatus } from '../../../gen/grpc-js/clearmesh/payment/v1/refund.js';
import { clientErrorOf, meshCredentialsFor } from '../../../test/harness/test-clients.js';
import { accountTransferIds } from '../../../test/harness/ledger-reads.js';
import { testRun } from '../../../test/harness/test-run.js';
import { connectDatabase, type Knex } from '../../mesh/src/database.js';
import { paymentTransferId, refundTransferId } from '../src/domain/index.js';
import type { HookPoint } from '../src/payment-processor.js';
import {
  buildServices,
  meshEnvironment,
  startServiceProcess,
  Standbys,
  type ServiceBuild,
  type ServiceProcess,
} from './payment-processes.js';
import { newKey, paymentRequest } from './payment-requests.js';

const crashPoints: readonly HookPoint[] = [
  'after_claim',
  'after_ledger_call',
  'before_record',
  'before_answer',
];
const killsPerPoint = 20;

/**
 * The payment service as the matrix runs it: one instance id across restarts (its first recovery
 * pass reclaims what its earlier life held), and short leases and intervals so a takeover needs
 * no long wait. Two ledger calls must fit in a lease.
 */
const paymentSettings = {
  PAYMENT_INSTANCE_ID: 'crash-matrix',
  PAYMENT_LEASE_MS: '1000',
  PAYMENT_LEDGER_TIMEOUT_MS: '400',
  PAYMENT_RECOVERY_INTERVAL_MS: '200',
};

/**
 * How the killed call may fail: the process died under it (UNAVAILABLE, CANCELLED), or its own
 * attempt gave up on a slow ledger (DEADLINE_EXCEEDED) and the recovery worker, re-driving the
 * operation, was the one killed.
 */
const killedCallCodes = [
  grpc.status.UNAVAILABLE,
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
];
const callTimeoutMs = 10_000;
/** Bounds the wait for a killed process's exit; it normally comes with the call's failure. */
const exitWaitMs = 10_000;
/** Bounds a retry: about 30 s of backoff at most. */
const retryAttemptsMax = 120;
const retryBackoffMaxMs = 250;
const fundingMinor = 10_000_000n;
const currency = 'EUR';

interface ExpectedTransfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly flags: {
    readonly linked: boolean;
    readonly pending: boolean;
    readonly postPendingTransfer: boolean;
    readonly voidPendingTransfer: boolean;
  };
  readonly pendingId: string;
}

/** A payment as its story must leave it. */
interface ExpectedPayment {
  readonly label: string;
  readonly paymentId: string;
  readonly status: PaymentStatus;
  readonly amount: bigint;
  readonly amountCaptured: bigint;
  readonly amountRefunded: bigint;
  /** In ledger_transfer_ids order. */
  readonly transfers: readonly ExpectedTransfer[];
  /** Keyed calls made for it, each one operation. */
  readonly operations: number;
}

const noFlags = {
  linked: false,
  pending: false,
  postPendingTransfer: false,
  voidPendingTransfer: false,
} as const;

function moved(id: string, debit: string, credit: string, amount: bigint): ExpectedTransfer {
  return {
    id,
    debitAccountId: debit,
    creditAccountId: credit,
    amount,
    flags: noFlags,
    pendingId: '',
  };
}

function held(id: string, debit: string, credit: string, amount: bigint): ExpectedTransfer {
  return { ...moved(id, debit, credit, amount), flags: { ...noFlags, pending: true } };
}

/** Posting or voiding `hold`: as stored, the amount posted or released. */
function settled(
  id: string,
  hold: ExpectedTransfer,
  how: 'post' | 'void',
  amount: bigint,
): ExpectedTransfer {
  return {
    ...moved(id, hold.debitAccountId, hold.creditAccountId, amount),
    flags: { ...noFlags, postPendingTransfer: how === 'post', voidPendingTransfer: how === 'void' },
    pendingId: hold.id,
  };
}

function comparable(transfer: Transfer): ExpectedTransfer {
  const { linked, pending, postPendingTransfer, voidPendingTransfer } = transfer.flags ?? noFlags;
  return {
    id: transfer.id,
    debitAccountId: transfer.debitAccountId,
    creditAccountId: transfer.creditAccountId,
    amount: transfer.amount,
    flags: { linked, pending, postPendingTransfer, voidPendingTransfer },
    pendingId: transfer.pendingId,
  };
}

/** What the payer's posted balance lost to the payee through `transfers`. */
function netMoved(payer: string, transfers: readonly ExpectedTransfer[]): bigint {
  let net = 0n;
  for (const transfer of transfers) {
    if (transfer.flags.pending || transfer.flags.voidPendingTransfer) continue;
    net += transfer.debitAccountId === payer ? transfer.amount : -transfer.amount;
  }
  return net;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`no ${what}`);
  return value;
}

async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`waited ${timeoutMs} ms for ${what}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the matrix saw, for its closing line: how long restarts took, how calls failed. */
class MatrixReport {
  kills = 0;
  readonly paymentStartsMs: number[] = [];
  readonly killToAnswerMs: number[] = [];
  readonly killedCalls = new Map<string, number>();
  readonly retriedOn = new Map<string, number>();
  private readonly startedAt = performance.now();

  static count(counts: Map<string, number>, key: string): void {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }

  summary(): string {
    const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const spread = (values: readonly number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return `median ${seconds(sorted[Math.floor(sorted.length / 2)] ?? 0)}, max ${seconds(sorted.at(-1) ?? 0)}`;
    };
    const counts = (map: Map<string, number>) => JSON.stringify(Object.fromEntries(map));
    return [
      `crash matrix: ${this.kills} kills in ${seconds(performance.now() - this.startedAt)}`,
      `${this.paymentStartsMs.length} payment starts, ${spread(this.paymentStartsMs)}`,
      `kill to answer ${spread(this.killToAnswerMs)}`,
      `killed calls ${counts(this.killedCalls)}`,
      `retried on ${counts(this.retriedOn)}`,
    ].join('; ');
  }
}

/** One life of the payment process and the clients that call it. */
interface PaymentLife {
  readonly process: ServiceProcess;
  readonly point: HookPoint;
  /** client/demo: the payments under test. */
  readonly demo: PaymentClient;
  /** client/admin: funding from the settlement account, and reads. */
  readonly admin: PaymentClient;
  close(): void;
}

/**
 * The mesh under test, as real processes, and the caller's side of the matrix: the marker that
 * arms the fault, the kill, the restart, the retries. stop() cleans up whatever start() got to.
 */
class CrashMatrix {
  readonly report = new MatrixReport();
  private build: ServiceBuild | undefined;
  private standbys: Standbys | undefined;
  private env: NodeJS.ProcessEnv = {};
  private markerDirectory: string | undefined;
  private readonly services: ServiceProcess[] = [];
  private life: PaymentLife | undefined;
  private accountClient: AccountClient | undefined;
  private ledgerClient: LedgerClient | undefined;
  private database: Knex | undefined;
  private settlementAccountId: string | undefined;

  get demo(): PaymentClient {
    return this.current().demo;
  }
  get admin(): PaymentClient {
    return this.current().admin;
  }
  /** As client/admin, for the checks. */
  get ledger(): LedgerClient {
    return required(this.ledgerClient, 'ledger client');
  }
  /** The payment schema, for the checks. */
  get db(): Knex {
    return required(this.database, 'database');
  }
  private get markerFile(): string {
    return join(required(this.markerDirectory, 'marker directory'), 'crash');
  }

  async start(point: HookPoint): Promise<void> {
    this.markerDirectory = await mkdtemp(join(tmpdir(), 'clearmesh-crash-'));
    this.env = await meshEnvironment();
    const build = await buildServices(['ledger', 'account', 'payment']);
    this.build = build;
    this.standbys = new Standbys('payment', build);
    const started = (name: 'ledger' | 'account') =>
      startServiceProcess(name, this.env, build).then((service) => {
        this.services.push(service);
        return service;
      });
    const [ledger, account] = await Promise.all([
      started('ledger'),
      started('account'),
      this.startPayment(point),
    ]);
    this.accountClient = createAccountClient({
      address: account.address,
      credentials: meshCredentialsFor('admin', 'service/account'),
      registry: new Registry(),
      defaultTimeoutMs: callTimeoutMs,
    });
    this.ledgerClient = createLedgerClient({
      address: ledger.address,
      credentials: meshCredentialsFor('admin', 'service/ledger'),
      registry: new Registry(),
      defaultTimeoutMs: callTimeoutMs,
    });
    this.database = connectDatabase(testRun().database.url, {
      schema: 'payment',
      poolMax: 2,
      applicationName: 'test-crash-matrix',
    });
    this.settlementAccountId = await this.openAccount(AccountKind.ACCOUNT_KIND_SETTLEMENT);
  }

  async stop(): Promise<void> {
    this.life?.close();
    this.standbys?.close();
    this.accountClient?.close();
    this.ledgerClient?.close();
    const processes = [...this.services, ...(this.life === undefined ? [] : [this.life.process])];
    await Promise.allSettled(processes.map((service) => service.stop()));
    await this.database?.destroy();
    await this.build?.remove();
    if (this.markerDirectory !== undefined) {
      await rm(this.markerDirectory, { recursive: true, force: true });
    }
  }

  /** Arms the fault at `point` from now on: a new life if the current one has another. */
  async armAt(point: HookPoint): Promise<void> {
    if (this.current().point !== point) await this.restart(point);
  }

  /**
   * Makes `call` with the fault armed: the process must die of it (SIGKILL, the marker consumed)
   * and the call fail. Then restarts the process and retries the same call, same key, until it
   * answers; a further retry must answer the same.
   */
  async killedAndRetried<Response>(
    label: string,
    idempotencyKey: string,
    call: (client: PaymentClient) => Promise<Response>,
  ): Promise<Response> {
    const killed = this.current();
    await writeFile(this.markerFile, label);
    const failure = await clientErrorOf(call(killed.demo));
    const killedAt = performance.now();
    const exit = await within(killed.process.exited, exitWaitMs, `${label}: the process to die`);
    this.report.kills += 1;
    expect(exit.signal, `${label}: how it ended\n${killed.process.output()}`).to.equal('SIGKILL');
    expect(existsSync(this.markerFile), `${label}: the fault consumes its marker`).to.equal(false);
    expect(failure.code, `${label}: ${failure.message}`).to.be.oneOf(killedCallCodes);
    MatrixReport.count(this.report.killedCalls, grpc.status[failure.code]);
    await this.expectKilledAt(killed.point, idempotencyKey, label);
    await this.restart(killed.point);
    const answer = await this.retried(label, () => call(this.demo));
    this.report.killToAnswerMs.push(performance.now() - killedAt);
    expect(await call(this.demo), `${label}: replayed`).to.deep.equal(answer);
    return answer;
  }

  /**
   * What the dead process left shows where it died: its operation still RUNNING, except before
   * answering, when the outcome is recorded; the ledger transfer it makes not yet there after
   * claiming the key — if that was the operation's first attempt (lease version 1), as a takeover
   * may re-drive an attempt whose ledger call was made — and there from the ledger call on.
   */
  private async expectKilledAt(
    point: HookPoint,
    idempotencyKey: string,
    label: string,
  ): Promise<void> {
    const operation = required(
      (await this.db('operations').where({ idempotency_key: idempotencyKey }).first()) as
        OperationRow | undefined,
      `${label}: operation`,
    );
    const transferId = transferIdOf(operation);
    const { transfers } = await this.ledger.call.lookupTransfers({ transferIds: [transferId] });
    const transferred = transfers.length === 1;
    expect(operation.state, `${label}: operation state at the kill`).to.equal(
      point === 'before_answer' ? 'DONE' : 'RUNNING',
    );
    if (point !== 'after_claim') expect(transferred, `${label}: transfer made`).to.equal(true);
    else if (operation.lease_version === 1n) {
      expect(transferred, `${label}: transfer made`).to.equal(false);
    }
  }

  /**
   * A keyed call as a careful client makes it: again, same key, while the operation runs elsewhere
   * (IDEMPOTENCY_KEY_IN_USE) or the answer did not come (UNAVAILABLE, DEADLINE_EXCEEDED: with
   * short ledger deadlines on a busy machine, the service may give up on the ledger and leave the
   * operation to a retry or to recovery).
   */
  async retried<Response>(label: string, call: () => Promise<Response>): Promise<Response> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        const again =
          error instanceof ClientError &&
          (error.code === grpc.status.UNAVAILABLE ||
            error.code === grpc.status.DEADLINE_EXCEEDED ||
            (error.code === grpc.status.ABORTED && error.reason === 'IDEMPOTENCY_KEY_IN_USE'));
        if (!again) throw error;
        const reason = error.reason === '' ? '' : `/${error.reason}`;
        MatrixReport.count(this.report.retriedOn, `${grpc.status[error.code]}${reason}`);
        if (attempt >= retryAttemptsMax) {
          throw new Error(`${label}: still ${error.message} after ${attempt} retries`, {
            cause: error,
          });
        }
        await delay(Math.min(retryBackoffMaxMs, 10 * 2 ** attempt));
      }
    }
  }

  async openAccount(kind: AccountKind): Promise<string> {
    const { account } = await required(this.accountClient, 'account client').call.openAccount({
      requestId: newKey('crash-open'),
      ownerId: kind === AccountKind.ACCOUNT_KIND_SETTLEMENT ? 'clearmesh' : 'owner-1',
      currency,
      kind,
      overdraftLimit: 0n,
      displayName: '',
      metadata: {},
    });
    return required(account, 'account opened').accountId;
  }

  /** Funds `accountId` from the settlement account as client/admin; its one ledger transfer. */
  async fund(accountId: string): Promise<ExpectedTransfer> {
    const settlement = required(this.settlementAccountId, 'settlement account');
    const request = paymentRequest(settlement, accountId, fundingMinor, {
      idempotencyKey: newKey('crash-fund'),
    });
    const { payment } = await this.retried('funding', () => this.admin.call.createPayment(request));
    const funded = required(payment, 'funding payment');
    expect(funded.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    const transferId = paymentTransferId(funded.paymentId, 'authorize');
    return moved(transferId, settlement, accountId, fundingMinor);
  }

  /** A payment created without a kill, in the state the killed call needs. */
  async createdUnkilled(story: StoryInput, captureMethod: CaptureMethod): Promise<Payment> {
    const request = paymentRequest(story.payer, story.payee, story.amount, {
      idempotencyKey: newKey('crash'),
      captureMethod,
    });
    const { payment } = await this.retried(story.label, () =>
      this.demo.call.createPayment(request),
    );
    const created = required(payment, 'payment');
    expect(created.status, story.label).to.equal(
      captureMethod === CaptureMethod.CAPTURE_METHOD_MANUAL
        ? PaymentStatus.PAYMENT_STATUS_REQUIRES_CAPTURE
        : PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
    );
    return created;
  }

  private current(): PaymentLife {
    return required(this.life, 'payment process');
  }

  private async startPayment(point: HookPoint): Promise<void> {
    const started = await required(this.standbys, 'payment standbys').start({
      ...this.env,
      ...paymentSettings,
      PAYMENT_FAULT_CRASH_POINT: point,
      PAYMENT_FAULT_CRASH_FILE: this.markerFile,
    });
    this.report.paymentStartsMs.push(started.startMs);
    const client = (identity: string) =>
      createPaymentClient({
        address: started.address,
        credentials: meshCredentialsFor(identity, 'service/payment'),
        registry: new Registry(),
        defaultTimeoutMs: callTimeoutMs,
        // The test is the caller that retries: it must see every answer.
        retry: { attemptsMax: 1 },
      });
    const [demo, admin] = [client('demo'), client('admin')];
    this.life = {
      process: started,
      point,
      demo,
      admin,
      close: () => {
        demo.close();
        admin.close();
      },
    };
  }

  /** A new life of the same instance; the earlier one is dead, or is stopped first. */
  private async restart(point: HookPoint): Promise<void> {
    const earlier = this.current();
    this.life = undefined;
    earlier.close();
    await earlier.process.stop();
    await this.startPayment(point);
  }
}

/** The columns of payment.operations the matrix reads where a process died. */
interface OperationRow {
  readonly rpc: 'CreatePayment' | 'CapturePayment' | 'CancelPayment' | 'RefundPayment';
  readonly payment_id: string;
  readonly refund_id: string | null;
  readonly state: 'RUNNING' | 'DONE';
  readonly lease_version: bigint;
}

/** The ledger transfer an operation makes (ids are derived, so known before it exists). */
function transferIdOf(operation: OperationRow): string {
  switch (operation.rpc) {
    case 'CreatePayment':
      return paymentTransferId(operation.payment_id, 'authorize');
    case 'CapturePayment':
      return paymentTransferId(operation.payment_id, 'capture');
    case 'CancelPayment':
      return paymentTransferId(operation.payment_id, 'void');
    case 'RefundPayment':
      return refundTransferId(required(operation.refund_id ?? undefined, 'refund id'));
  }
}

/** One payment's story: its accounts, amount and name in failure messages. */
interface StoryInput {
  readonly label: string;
  readonly payer: string;
  readonly payee: string;
  readonly amount: bigint;
}

function expectedPayment(
  story: StoryInput,
  paymentId: string,
  outcome: Omit<ExpectedPayment, 'label' | 'paymentId' | 'amount'>,
): ExpectedPayment {
  return { label: story.label, paymentId, amount: story.amount, ...outcome };
}

const authorizeIdOf = (paymentId: string) => paymentTransferId(paymentId, 'authorize');

/** CreatePayment, AUTOMATIC, killed: one transfer moved the amount. */
async function killCreateAutomatic(matrix: CrashMatrix, story: StoryInput) {
  const request = paymentRequest(story.payer, story.payee, story.amount, {
    idempotencyKey: newKey('crash'),
  });
  const { payment } = await matrix.killedAndRetried(story.label, request.idempotencyKey, (client) =>
    client.call.createPayment(request),
  );
  const { paymentId, status } = required(payment, 'payment');
  expect(status, story.label).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
  return expectedPayment(story, paymentId, {
    status,
    amountCaptured: story.amount,
    amountRefunded: 0n,
    transfers: [moved(authorizeIdOf(paymentId), story.payer, story.payee, story.amount)],
    operations: 1,
  });
}

/** CreatePayment, MANUAL, killed; then captured whole: one hold, posted in full. */
async function killCreateManual(matrix: CrashMatrix, story: StoryInput) {
  const request = paymentRequest(story.payer, story.payee, story.amount, {
    idempotencyKey: newKey('crash'),
    captureMethod: CaptureMethod.CAPTURE_METHOD_MANUAL,
  });
  const { payment } = await matrix.killedAndRetried(story.label, request.idempotencyKey, (client) =>
    client.call.createPayment(request),
  );
  const { paymentId, status } = required(payment, 'payment');
  expect(status, story.label).to.equal(PaymentStatus.PAYMENT_STATUS_REQUIRES_CAPTURE);
  const capture = { paymentId, amount: undefined, idempotencyKey: newKey('crash-capture') };
  const captured = await matrix.retried(story.label, () =>
    matrix.demo.call.capturePayment(capture),
  );
  expect(captured.payment?.status, story.label).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
  const hold = held(authorizeIdOf(paymentId), story.payer, story.payee, story.amount);
  const captureId = paymentTransferId(paymentId, 'capture');
  return expectedPayment(story, paymentId, {
    status: PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
    amountCaptured: story.amount,
    amountRefunded: 0n,
    transfers: [hold, settled(captureId, hold, 'post', story.amount)],
    operations: 2,
  });
}

/** CapturePayment of part of a hold, killed: the part posted, the rest released. */
async function killCapture(matrix: CrashMatrix, story: StoryInput) {
  const { paymentId } = await matrix.createdUnkilled(story, CaptureMethod.CAPTURE_METHOD_MANUAL);
  const capturedMinor = story.amount - 100n;
  const request = {
    paymentId,
    amount: { amount: capturedMinor, currency },
    idempotencyKey: newKey('crash-capture'),
  };
  const { payment } = await matrix.killedAndRetried(story.label, request.idempotencyKey, (client) =>
    client.call.capturePayment(request),
  );
  expect(payment?.status, story.label).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
  const hold = held(authorizeIdOf(paymentId), story.payer, story.payee, story.amount);
  const captureId = paymentTransferId(paymentId, 'capture');
  return expectedPayment(story, paymentId, {
    status: PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
    amountCaptured: capturedMinor,
    amountRefunded: 0n,
    transfers: [hold, settled(captureId, hold, 'post', capturedMinor)],
    operations: 2,
  });
}

/** RefundPayment of part of a payment, killed: one transfer back, the payment still SUCCEEDED. */
async function killRefund(matrix: CrashMatrix, story: StoryInput) {
  const { paymentId } = await matrix.createdUnkilled(story, CaptureMethod.CAPTURE_METHOD_AUTOMATIC);
  const refundedMinor = story.amount / 4n;
  const request = {
    paymentId,
    amount: { amount: refundedMinor, currency },
    idempotencyKey: newKey('crash-refund'),
    reason: 'crash matrix',
  };
  const { refund } = await matrix.killedAndRetried(story.label, request.idempotencyKey, (client) =>
    client.call.refundPayment(request),
  );
  const refunded = required(refund, 'refund');
  expect(refunded.status, story.label).to.equal(RefundStatus.REFUND_STATUS_SUCCEEDED);
  expect(refunded.amount?.amount, story.label).to.equal(refundedMinor);
  expect(refunded.ledgerTransferId, story.label).to.equal(refundTransferId(refunded.refundId));
  return expectedPayment(story, paymentId, {
    status: PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
    amountCaptured: story.amount,
    amountRefunded: refundedMinor,
    transfers: [
      moved(authorizeIdOf(paymentId), story.payer, story.payee, story.amount),
      moved(refunded.ledgerTransferId, story.payee, story.payer, refundedMinor),
    ],
    operations: 2,
  });
}

/** CancelPayment of a hold, killed: the hold voided, nothing moved. */
async function killCancel(matrix: CrashMatrix, story: StoryInput) {
  const { paymentId } = await matrix.createdUnkilled(story, CaptureMethod.CAPTURE_METHOD_MANUAL);
  const request = { paymentId, idempotencyKey: newKey('crash-cancel') };
  const { payment } = await matrix.killedAndRetried(story.label, request.idempotencyKey, (client) =>
    client.call.cancelPayment(request),
  );
  expect(payment?.status, story.label).to.equal(PaymentStatus.PAYMENT_STATUS_CANCELED);
  const hold = held(authorizeIdOf(paymentId), story.payer, story.payee, story.amount);
  const voidId = paymentTransferId(paymentId, 'void');
  return expectedPayment(story, paymentId, {
    status: PaymentStatus.PAYMENT_STATUS_CANCELED,
    amountCaptured: 0n,
    amountRefunded: 0n,
    transfers: [hold, settled(voidId, hold, 'void', story.amount)],
    operations: 2,
  });
}

/** Each payment's story kills exactly one of its keyed calls; the kills go round these. */
const stories: readonly [
  string,
  (matrix: CrashMatrix, story: StoryInput) => Promise<ExpectedPayment>,
][] = [
  ['create automatic', killCreateAutomatic],
  ['create manual', killCreateManual],
  ['capture', killCapture],
  ['refund', killRefund],
  ['cancel', killCancel],
];

/** Every payment final as its story says, read back from the (restarted) service. */
async function expectPaymentsFinal(
  matrix: CrashMatrix,
  payments: readonly ExpectedPayment[],
): Promise<void> {
  for (const expected of payments) {
    const { payment } = await matrix.admin.call.getPayment({ paymentId: expected.paymentId });
    const read = required(payment, expected.label);
    expect(
      {
        status: read.status,
        failureReason: read.failureReason,
        amount: read.amount?.amount,
        amountCaptured: read.amountCaptured?.amount,
        amountRefunded: read.amountRefunded?.amount,
        ledgerTransferIds: read.ledgerTransferIds,
      },
      expected.label,
    ).to.deep.equal({
      status: expected.status,
      failureReason: PaymentFailureReason.PAYMENT_FAILURE_REASON_UNSPECIFIED,
      amount: expected.amount,
      amountCaptured: expected.amountCaptured,
      amountRefunded: expected.amountRefunded,
      ledgerTransferIds: expected.transfers.map((transfer) => transfer.id),
    });
  }
}

/**
 * The ledger holds exactly the payments' transfers as their stories say, the two accounts are
 * touched by nothing else (no stray transfer under another id), and their balances are the sum of
 * the payments, nothing held.
 */
async function expectLedgerExact(
  ledger: LedgerClient,
  accounts: { readonly payer: string; readonly payee: string; readonly funding: ExpectedTransfer },
  payments: readonly ExpectedPayment[],
): Promise<void> {
  const { payer, payee, funding } = accounts;
  const expected = payments.flatMap((payment) => payment.transfers);
  const ids = expected.map((transfer) => transfer.id);
  const { transfers } = await ledger.call.lookupTransfers({ transferIds: ids });
  expect(transfers.map(comparable)).to.deep.equal(expected);
  expect((await accountTransferIds(ledger, payer)).sort()).to.deep.equal(
    [funding.id, ...ids].sort(),
  );
  expect((await accountTransferIds(ledger, payee)).sort()).to.deep.equal([...ids].sort());
  const net = netMoved(payer, expected);
  const { accounts: found } = await ledger.call.lookupAccounts({ accountIds: [payer, payee] });
  expect(
    found.map((account) => ({
      posted: account.creditsPosted - account.debitsPosted,
      debitsPending: account.debitsPending,
      creditsPending: account.creditsPending,
    })),
  ).to.deep.equal([
    { posted: fundingMinor - net, debitsPending: 0n, creditsPending: 0n },
    { posted: net, debitsPending: 0n, creditsPending: 0n },
  ]);
}

/** Each keyed call made one operation, each DONE; nothing reserved, settling or pending. */
async function expectOperationsDone(db: Knex, payments: readonly ExpectedPayment[]): Promise<void> {
  const paymentIds = payments.map((payment) => payment.paymentId);
  const operations: { payment_id: string; state: string }[] = await db('operations')
    .whereIn('payment_id', paymentIds)
    .select('payment_id', 'state');
  expect(operations.filter((operation) => operation.state !== 'DONE')).to.deep.equal([]);
  for (const expected of payments) {
    const made = operations.filter((operation) => operation.payment_id === expected.paymentId);
    expect(made.length, `${expected.label}: operations`).to.equal(expected.operations);
  }
  const unsettled = await db('payments')
    .whereIn('payment_id', paymentIds)
    .where((where) => {
      void where.whereNotNull('settling_operation_id').orWhere('refund_reserved', '<>', 0);
    })
    .select('payment_id');
  expect(unsettled).to.deep.equal([]);
  const unfinishedRefunds = await db('refunds')
    .whereIn('payment_id', paymentIds)
    .whereNot('status', 'SUCCEEDED')
    .select('refund_id', 'status');
  expect(unfinishedRefunds).to.deep.equal([]);
}

describe('payment crash matrix: killed at each point, restarted, retried', function () {
  this.timeout(600_000);
  const matrix = new CrashMatrix();
  const paymentIds: string[] = [];

  before(async () => {
    await matrix.start(crashPoints[0] ?? 'after_claim');
  });

  after(async () => {
    await matrix.stop();
    process.stdout.write(`      ${matrix.report.summary()}\n`);
  });

  crashPoints.forEach((point, pointIndex) => {
    it(`finishes every payment killed ${point.replaceAll('_', ' ')}, moving its money once`, async () => {
      await matrix.armAt(point);
      const payer = await matrix.openAccount(AccountKind.ACCOUNT_KIND_CUSTOMER);
      const payee = await matrix.openAccount(AccountKind.ACCOUNT_KIND_CUSTOMER);
      const funding = await matrix.fund(payer);
      const payments: ExpectedPayment[] = [];
      for (let kill = 0; kill < killsPerPoint; kill += 1) {
        const [name, run] = required(stories[kill % stories.length], 'story');
        // Amounts unique in the run, so a transfer of one payment cannot pass for another's.
        const amount = 1_000n + BigInt(pointIndex * killsPerPoint + kill);
        const label = `${point} #${kill + 1} (${name})`;
        payments.push(await run(matrix, { label, payer, payee, amount }));
      }
      paymentIds.push(...payments.map((payment) => payment.paymentId));
      await expectPaymentsFinal(matrix, payments);
      await expectLedgerExact(matrix.ledger, { payer, payee, funding }, payments);
      await expectOperationsDone(matrix.db, payments);
    });
  });

  it('leaves no operation running and the ledger intact', async () => {
    expect(matrix.report.kills).to.equal(crashPoints.length * killsPerPoint);
    const running = await matrix
      .db('operations')
      .whereIn('payment_id', paymentIds)
      .whereNot('state', 'DONE')
      .select('operation_id');
    expect(running).to.deep.equal([]);
    const integrity = await matrix.ledger.call.checkIntegrity({});
    expect(integrity.mismatches).to.deep.equal([]);
    expect(integrity.ok).to.equal(true);
  });
});
