// Idempotency under a storm of retries (issue 6 acceptance): 200 keys, each sent at once by four
// clients that retry with short random deadlines, a tenth of them re-sent with another amount once
// the first call has claimed the key. Whatever the interleaving, each key makes one payment, every
// successful answer for a key is the same, every mismatch is refused and changes nothing, and the
// ledger moves once per key — with the lock Redis up, and with it killed and flushed again and
// again during the run, since the locks are an optimisation and Postgres decides (SPEC §3.3).
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import {
  ClientError,
  createPaymentClient,
  type PaymentClient,
} from '../../../clients/internal/src/index.js';
import { PaymentStatus } from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import type {
  CreatePaymentRequest,
  CreatePaymentResponse,
} from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { startRedisProcess, type RedisProcess } from '../../../test/harness/redis-process.js';
import { accountTransferIds } from '../../../test/harness/ledger-reads.js';
import { meshCredentialsFor } from '../../../test/harness/test-clients.js';
import type { PaymentHooks } from '../src/payment-processor.js';
import type { PaymentServiceOptions } from '../src/payment-service.js';
import { newKey, paymentRequest } from './payment-requests.js';
import { startPaymentTestMesh, type PaymentTestMesh } from './payment-test-mesh.js';

const keysCount = 200;
const clientsCount = 4;
/** Retries after a key's first attempt, each with a fresh random deadline. */
const retriesMax = 3;
const attemptDeadlineMinMs = 50;
const attemptDeadlineMaxMs = 500;
const retryBackoffMaxMs = 50;
/** Every tenth key is also re-sent with another amount. */
const mismatchEvery = 10;
const payersCount = 8;
const payeesCount = 8;
const payerFunding = 10_000_000n;
const paymentAmountMax = 10_000;
/**
 * After the storm every key is retried until it has its final answer: with a deadline long enough
 * that an overloaded server is not handed the same work again, and a backoff that doubles up to
 * settleBackoffMaxMs, so that keys still in use are not polled in a tight loop.
 */
const settleDeadlineMs = 30_000;
const settleWithinMs = 90_000;
const settleBackoffMaxMs = 1_000;

/**
 * Leases far shorter than the default 15 s, with ledger calls shorter still (as the config asks):
 * under this load some drives outlast their lease, so retries take operations over mid-flight and
 * the fence decides which write counts; and a key's Redis lock left behind by a call that ended
 * before its claim (its release lost, or a SET whose reply timed out) holds that key for one lease.
 */
const stormConfig: Partial<PaymentServiceOptions['config']> = {
  leaseMs: 3_000,
  ledgerTimeoutMs: 2_000,
};

type Answer =
  | { readonly kind: 'ok'; readonly response: CreatePaymentResponse }
  | {
      readonly kind: 'error';
      readonly code: grpc.status;
      readonly reason: string;
      readonly message: string;
    };

/** One key of the storm: its request, the other-amount request when it has one, every answer. */
interface StormKey {
  readonly request: CreatePaymentRequest;
  readonly mismatch: CreatePaymentRequest | undefined;
  readonly answers: Answer[];
  readonly mismatchAnswers: Answer[];
}

interface Storm {
  readonly clients: readonly PaymentClient[];
  readonly keys: readonly StormKey[];
  readonly payers: readonly string[];
  readonly payees: readonly string[];
  /** The ledger transfer ids of each payer's funding. */
  readonly fundingTransferIds: ReadonlyMap<string, readonly string[]>;
}

describe('payment idempotency storm', function () {
  this.timeout(120_000);
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('makes one payment per key, answers its retries alike and refuses every mismatch', async () => {
    const claims = new ClaimWatch();
    const mesh = await startPaymentTestMesh({
      schema: 'payment_storm',
      config: stormConfig,
      hooks: claims.hooks,
    });
    cleanups.push(() => mesh.stop());
    const storm = await prepareStorm(mesh);
    cleanups.push(() => closeClients(storm));

    await runStorm(storm, claims);

    await expectStormInvariants(mesh, storm);
  });

  it('keeps the same invariants while the lock Redis is killed and flushed mid-storm', async () => {
    const redis = await startRedisProcess();
    cleanups.push(() => redis.stop());
    const claims = new ClaimWatch();
    // The recovery worker runs too, as in production: one more driver racing the retries.
    const mesh = await startPaymentTestMesh({
      schema: 'payment_storm_redis_faults',
      redisUrl: redis.url,
      config: { ...stormConfig, recoveryIntervalMs: 200 },
      hooks: claims.hooks,
    });
    cleanups.push(() => mesh.stop());
    const storm = await prepareStorm(mesh);
    cleanups.push(() => closeClients(storm));

    const faults = startRedisFaults(redis, claims);
    cleanups.push(() => faults.stop());
    await runStorm(storm, claims).finally(() => faults.stop());

    expect(faults.restarts, 'Redis restarts during the storm').to.be.greaterThan(0);
    expect(faults.flushes, 'Redis flushes during the storm').to.be.greaterThan(0);
    await expectStormInvariants(mesh, storm);
    const unavailable = await counterTotal(
      mesh.registry,
      'clearmesh_payment_lock_acquisitions_total',
      { outcome: 'unavailable' },
    );
    expect(unavailable, 'lock attempts that found Redis down').to.be.greaterThan(0);
    const refused = await counterTotal(mesh.registry, 'clearmesh_redis_errors_total', {
      operation: 'connect',
    });
    expect(refused, 'connections to Redis that failed').to.be.greaterThan(0);
  });
});

/** Opens and funds the accounts, connects the clients and makes every key's requests. */
async function prepareStorm(mesh: PaymentTestMesh): Promise<Storm> {
  const [payers, payees] = await Promise.all([
    Promise.all(Array.from({ length: payersCount }, () => mesh.openAccount())),
    Promise.all(Array.from({ length: payeesCount }, () => mesh.openAccount())),
  ]);
  const fundingTransferIds = new Map<string, readonly string[]>();
  for (const payer of payers) {
    const funding = await mesh.fund(payer, payerFunding);
    expect(funding.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    fundingTransferIds.set(payer, funding.ledgerTransferIds);
  }
  const keys = Array.from({ length: keysCount }, (_, index): StormKey => {
    const payer = payers[index % payersCount] ?? '';
    const payee = payees[Math.floor(index / payersCount) % payeesCount] ?? '';
    const amount = BigInt(randomInt(1, paymentAmountMax));
    const request = paymentRequest(payer, payee, amount, { idempotencyKey: newKey('storm') });
    const mismatch =
      index % mismatchEvery === 0
        ? { ...request, amount: { amount: amount + 1n, currency: 'EUR' } }
        : undefined;
    return { request, mismatch, answers: [], mismatchAnswers: [] };
  });
  const clients = Array.from({ length: clientsCount }, () => stormClient(mesh));
  return { clients, keys, payers, payees, fundingTransferIds };
}

/**
 * A client of its own channel that makes exactly the attempts the test makes (no SDK retries),
 * and whose breaker never opens: the storm's own deadlines would open it, and the storm is meant
 * to reach the server.
 */
function stormClient(mesh: PaymentTestMesh): PaymentClient {
  return createPaymentClient({
    address: mesh.paymentAddress,
    credentials: meshCredentialsFor('demo', 'service/payment'),
    registry: new Registry(),
    retry: { attemptsMax: 1 },
    breaker: { volumeThreshold: Number.MAX_SAFE_INTEGER },
  });
}

function closeClients(storm: Storm): Promise<void> {
  for (const client of storm.clients) client.close();
  return Promise.resolve();
}

/**
 * Every key at once from every client, each client retrying with random deadlines; a mismatch
 * from one of them as soon as its key's first call has claimed the key. Then every key is retried
 * with a long deadline until it answers OK (and every mismatch until it is refused).
 */
async function runStorm(storm: Storm, claims: ClaimWatch): Promise<void> {
  const { clients, keys } = storm;
  await Promise.all(
    keys.map(async (key, index) => {
      const client = clients[index % clients.length];
      if (client === undefined) throw new Error('no clients');
      const sendKey = async (): Promise<void> => {
        await Promise.all(clients.map((each) => sendWithRetries(each, key.request, key.answers)));
        await settle(client, key.request, key.answers);
      };
      await Promise.all([
        sendKey(),
        key.mismatch === undefined
          ? undefined
          : resendMismatch(client, key.mismatch, claims, key.mismatchAnswers),
      ]);
    }),
  );
}

/** The first attempt and up to retriesMax retries while retryable, each with a random deadline. */
async function sendWithRetries(
  client: PaymentClient,
  request: CreatePaymentRequest,
  answers: Answer[],
): Promise<Answer> {
  let answer = await send(client, request, randomDeadlineMs());
  answers.push(answer);
  for (let retry = 1; retry <= retriesMax && isRetryable(answer); retry += 1) {
    await sleep(randomInt(0, retryBackoffMaxMs));
    answer = await send(client, request, randomDeadlineMs());
    answers.push(answer);
  }
  return answer;
}

/** The other-amount request, sent once its key's first call runs, and retried until refused. */
async function resendMismatch(
  client: PaymentClient,
  mismatch: CreatePaymentRequest,
  claims: ClaimWatch,
  answers: Answer[],
): Promise<void> {
  await claims.claimed(mismatch.idempotencyKey);
  const answer = await sendWithRetries(client, mismatch, answers);
  if (isRetryable(answer)) await settle(client, mismatch, answers);
}

/** Retries with a long deadline while the answer is retryable, for at most settleWithinMs. */
async function settle(
  client: PaymentClient,
  request: CreatePaymentRequest,
  answers: Answer[],
): Promise<void> {
  const giveUpAtMs = Date.now() + settleWithinMs;
  for (let attempt = 0; ; attempt += 1) {
    const answer = await send(client, request, settleDeadlineMs);
    answers.push(answer);
    if (!isRetryable(answer)) return;
    if (Date.now() > giveUpAtMs) {
      throw new Error(
        `${request.idempotencyKey} had no final answer within ${settleWithinMs} ms: ${answerText(answer)}`,
      );
    }
    const ceilingMs = Math.min(settleBackoffMaxMs, retryBackoffMaxMs * 2 ** Math.min(attempt, 8));
    await sleep(randomInt(retryBackoffMaxMs, ceilingMs));
  }
}

async function send(
  client: PaymentClient,
  request: CreatePaymentRequest,
  timeoutMs: number,
): Promise<Answer> {
  try {
    return { kind: 'ok', response: await client.call.createPayment(request, { timeoutMs }) };
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    return { kind: 'error', code: error.code, reason: error.reason, message: error.message };
  }
}

/** What a caller retries: its deadline passed, the service was unavailable, or the key in use. */
function isRetryable(answer: Answer): boolean {
  if (answer.kind === 'ok') return false;
  return (
    answer.code === grpc.status.DEADLINE_EXCEEDED ||
    answer.code === grpc.status.UNAVAILABLE ||
    (answer.code === grpc.status.ABORTED && answer.reason === 'IDEMPOTENCY_KEY_IN_USE')
  );
}

function isReused(answer: Answer | undefined): boolean {
  return (
    answer?.kind === 'error' &&
    answer.code === grpc.status.FAILED_PRECONDITION &&
    answer.reason === 'IDEMPOTENCY_KEY_REUSED'
  );
}

function answerText(answer: Answer | undefined): string {
  if (answer === undefined) return 'none';
  if (answer.kind === 'ok') return 'OK';
  return `${grpc.status[answer.code]} ${answer.reason}: ${answer.message}`;
}

interface StoredPayment {
  readonly payment_id: string;
  readonly idempotency_key: string;
  readonly payer_account_id: string;
  readonly payee_account_id: string;
  readonly amount: bigint;
  readonly status: string;
  readonly ledger_transfer_ids: string[];
}

/**
 * One payment and one finished operation per key, the same answer to every successful call of a
 * key, every mismatch refused, and the ledger moved once per key.
 */
async function expectStormInvariants(mesh: PaymentTestMesh, storm: Storm): Promise<void> {
  const idempotencyKeys = storm.keys.map((key) => key.request.idempotencyKey);
  const stored: StoredPayment[] = await mesh
    .db('payments')
    .whereIn('idempotency_key', idempotencyKeys)
    .select(
      'payment_id',
      'idempotency_key',
      'payer_account_id',
      'payee_account_id',
      'amount',
      'status',
      'ledger_transfer_ids',
    );
  const operations: { idempotency_key: string; state: string; payment_id: string }[] = await mesh
    .db('operations')
    .whereIn('idempotency_key', idempotencyKeys)
    .select('idempotency_key', 'state', 'payment_id');
  expect(stored, 'payments of the storm').to.have.length(keysCount);
  expect(operations, 'operations of the storm').to.have.length(keysCount);

  const storedByKey = new Map(stored.map((payment) => [payment.idempotency_key, payment]));
  expect(storedByKey.size, 'keys with a payment').to.equal(keysCount);
  for (const operation of operations) {
    expect(operation.state, operation.idempotency_key).to.equal('DONE');
    expect(operation.payment_id).to.equal(storedByKey.get(operation.idempotency_key)?.payment_id);
  }
  for (const key of storm.keys) {
    const payment = storedByKey.get(key.request.idempotencyKey);
    if (payment === undefined) throw new Error(`no payment for ${key.request.idempotencyKey}`);
    expectAnswersOfKey(key, payment);
  }
  await expectLedgerMovedOncePerKey(mesh, stored, storm);
}

/** Every success the stored payment's one answer; every other answer retryable or a refusal. */
function expectAnswersOfKey(key: StormKey, payment: StoredPayment): void {
  const { idempotencyKey } = key.request;
  const unexpected = key.answers.filter((answer) => answer.kind !== 'ok' && !isRetryable(answer));
  expect(unexpected.map(answerText), `answers to ${idempotencyKey}`).to.deep.equal([]);
  const responses = key.answers.flatMap((answer) =>
    answer.kind === 'ok' ? [answer.response] : [],
  );
  const first = responses[0];
  if (first === undefined) throw new Error(`${idempotencyKey} never answered OK`);
  for (const response of responses) expect(response, idempotencyKey).to.deep.equal(first);
  expect(first.payment, idempotencyKey).to.include({
    paymentId: payment.payment_id,
    idempotencyKey,
    status: PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
  });
  expect(first.payment?.amount, idempotencyKey).to.deep.equal(key.request.amount);
  expect(first.payment?.ledgerTransferIds, idempotencyKey).to.deep.equal(
    payment.ledger_transfer_ids,
  );
  expect(payment.amount, idempotencyKey).to.equal(key.request.amount?.amount);
  expect(payment.status, idempotencyKey).to.equal('SUCCEEDED');

  if (key.mismatch === undefined) return;
  const notRefused = key.mismatchAnswers.filter(
    (answer) => !isReused(answer) && !isRetryable(answer),
  );
  expect(notRefused.map(answerText), `mismatch of ${idempotencyKey}`).to.deep.equal([]);
  const last = key.mismatchAnswers.at(-1);
  expect(isReused(last), `mismatch of ${idempotencyKey} ends ${answerText(last)}`).to.equal(true);
}

/**
 * One transfer of the payment's amount per payment and no other: each account's transfers are
 * exactly its funding's and its payments', its balance their sum, and the ledger consistent.
 */
async function expectLedgerMovedOncePerKey(
  mesh: PaymentTestMesh,
  stored: readonly StoredPayment[],
  storm: Storm,
): Promise<void> {
  const ledger = mesh.accounts.ledgerAdmin;
  const transferIds = stored.flatMap((payment) => payment.ledger_transfer_ids);
  expect(transferIds, 'one transfer id per payment').to.have.length(stored.length);
  const { transfers } = await ledger.call.lookupTransfers({ transferIds });
  const transfersById = new Map(transfers.map((transfer) => [transfer.id, transfer]));
  expect(transfersById.size, 'transfers of the payments').to.equal(stored.length);
  for (const payment of stored) {
    const transfer = transfersById.get(payment.ledger_transfer_ids[0] ?? '');
    expect(transfer, payment.idempotency_key).to.include({
      debitAccountId: payment.payer_account_id,
      creditAccountId: payment.payee_account_id,
      amount: payment.amount,
    });
    expect(transfer?.flags?.pending, payment.idempotency_key).to.equal(false);
  }

  for (const accountId of [...storm.payers, ...storm.payees]) {
    const funding = storm.fundingTransferIds.get(accountId) ?? [];
    const paid = stored.filter((payment) => payment.payer_account_id === accountId);
    const received = stored.filter((payment) => payment.payee_account_id === accountId);
    const expectedIds = [...paid, ...received].flatMap((payment) => payment.ledger_transfer_ids);
    expect(
      (await accountTransferIds(mesh.accounts.ledgerAdmin, accountId)).sort(),
      accountId,
    ).to.deep.equal([...funding, ...expectedIds].sort());
    expect(await mesh.balances(accountId), accountId).to.deep.equal({
      posted: (funding.length > 0 ? payerFunding : 0n) - sum(paid) + sum(received),
      held: 0n,
    });
  }
  const integrity = await ledger.call.checkIntegrity({});
  expect(integrity.mismatches).to.deep.equal([]);
  expect(integrity.ok).to.equal(true);
}

function sum(payments: readonly StoredPayment[]): bigint {
  return payments.reduce((total, payment) => total + payment.amount, 0n);
}

/** Tells when each key has first been claimed (the after_claim hook of its first drive). */
class ClaimWatch {
  private readonly claims = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  private readonly counted = new Set<string>();
  private readonly countWaiters: { count: number; resolve: () => void }[] = [];

  readonly hooks: PaymentHooks = {
    after_claim: (lease) => {
      const key = lease.operation.idempotencyKey;
      this.entry(key).resolve();
      this.counted.add(key);
      for (const waiter of this.countWaiters) {
        if (this.counted.size >= waiter.count) waiter.resolve();
      }
    },
  };

  /** Resolves once `count` distinct keys have been claimed: a point inside the storm. */
  keysClaimed(count: number): Promise<void> {
    if (this.counted.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.countWaiters.push({ count, resolve }));
  }

  claimed(idempotencyKey: string): Promise<void> {
    return this.entry(idempotencyKey).promise;
  }

  private entry(idempotencyKey: string): { promise: Promise<void>; resolve: () => void } {
    let entry = this.claims.get(idempotencyKey);
    if (entry === undefined) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((resolved) => {
        resolve = resolved;
      });
      entry = { promise, resolve };
      this.claims.set(idempotencyKey, entry);
    }
    return entry;
  }
}

/**
 * The fault schedule: a flush (every lock held vanishes) once 20 keys are claimed and a kill once
 * 60 are — points inside the storm, however fast it runs — then every 1–2 s alternately a kill
 * (Redis started again after an outage of 200–600 ms) or a flush, until stop(), which lets a fault
 * in progress finish, so Redis is up again when it resolves.
 */
function startRedisFaults(
  redis: RedisProcess,
  claims: ClaimWatch,
): {
  readonly restarts: number;
  readonly flushes: number;
  stop(): Promise<void>;
} {
  const stopping = new AbortController();
  const counts = { restarts: 0, flushes: 0 };
  const pause = (ms: number): Promise<boolean> =>
    sleep(ms, true, { signal: stopping.signal }).catch(() => false);
  const reached = (count: number): Promise<boolean> =>
    Promise.race([
      claims.keysClaimed(count).then(() => true),
      new Promise<boolean>((resolve) => {
        stopping.signal.addEventListener('abort', () => {
          resolve(false);
        });
      }),
    ]);
  const restart = async (): Promise<void> => {
    await redis.stop();
    await sleep(randomInt(200, 600));
    await redis.restart();
    counts.restarts += 1;
  };
  const flush = async (): Promise<void> => {
    await redis.flushAll();
    counts.flushes += 1;
  };
  const loop = (async () => {
    if (!(await reached(20))) return;
    await flush();
    if (!(await reached(60))) return;
    await restart();
    let flushNext = true;
    while (await pause(randomInt(1_000, 2_000))) {
      await (flushNext ? flush() : restart());
      flushNext = !flushNext;
    }
  })();
  return {
    get restarts() {
      return counts.restarts;
    },
    get flushes() {
      return counts.flushes;
    },
    stop: async () => {
      stopping.abort();
      await loop;
    },
  };
}

async function counterTotal(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((value) =>
      Object.entries(labels).every(([label, wanted]) => value.labels[label] === wanted),
    )
    .reduce((total, value) => total + value.value, 0);
}

function randomDeadlineMs(): number {
  return randomInt(attemptDeadlineMinMs, attemptDeadlineMaxMs);
}

/** A whole number from min to max, both included. */
function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}
