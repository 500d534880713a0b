// Concurrent work on payments through the real server, where the guarantees come from Postgres and
// not from the locks: concurrent captures of one hold (one wins), concurrent refunds (never more
// than captured, with Redis locks and without), a lock holder that stalls past its lease and
// resumes after another took over (its write is refused by the fence; money moves once), and a
// payment service whose Redis is unreachable (it keeps working, and says so in its metrics).
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import type { Registry } from 'prom-client';
import { ClientError, type PaymentClient } from '../../../clients/internal/src/index.js';
import { CaptureMethod, PaymentStatus } from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { RefundStatus } from '../../../gen/grpc-js/clearmesh/payment/v1/refund.js';
import type { CreatePaymentResponse } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { startPaymentTestMesh, type PaymentTestMesh } from './payment-test-mesh.js';
import { newKey, paymentRequest } from './payment-requests.js';

const manual = { captureMethod: CaptureMethod.CAPTURE_METHOD_MANUAL };

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const matching = metric?.values.filter((value) =>
    Object.entries(labels).every(([key, expected]) => value.labels[key] === expected),
  );
  return (matching ?? []).reduce((sum, value) => sum + value.value, 0);
}

/** Runs `calls` at once; answers each outcome (the response, or the ClientError). */
async function allSettled<T>(calls: (() => Promise<T>)[]): Promise<(T | ClientError)[]> {
  return Promise.all(
    calls.map((call) =>
      call().catch((error: unknown) => {
        if (error instanceof ClientError) return error;
        throw error;
      }),
    ),
  );
}

async function refundStorm(mesh: PaymentTestMesh, client: PaymentClient): Promise<void> {
  const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
  await mesh.fund(payer, 1_000n);
  const created = await client.call.createPayment(paymentRequest(payer, payee, 100n));
  const paymentId = created.payment?.paymentId ?? '';
  const outcomes = await allSettled(
    Array.from(
      { length: 10 },
      () => () =>
        client.call.refundPayment({
          paymentId,
          amount: { amount: 30n, currency: 'EUR' },
          idempotencyKey: newKey('refund'),
          reason: '',
        }),
    ),
  );
  const succeeded = outcomes.filter(
    (outcome) =>
      !(outcome instanceof ClientError) &&
      outcome.refund?.status === RefundStatus.REFUND_STATUS_SUCCEEDED,
  );
  const refused = outcomes.filter((outcome) => outcome instanceof ClientError);
  expect(succeeded).to.have.length(3);
  expect(refused).to.have.length(7);
  for (const error of refused) expect(error.reason).to.equal('INVALID_STATE');
  const read = await client.call.getPayment({ paymentId });
  expect(read.payment?.amountRefunded?.amount).to.equal(90n);
  expect(await mesh.balances(payee)).to.deep.equal({ posted: 10n, held: 0n });
  const { transfers } = await mesh.accounts.ledgerAdmin.call.lookupTransfers({
    transferIds: read.payment?.ledgerTransferIds ?? [],
  });
  expect(transfers.map((transfer) => transfer.amount)).to.deep.equal([100n, 30n, 30n, 30n]);
}

describe('payments under concurrency', function () {
  this.timeout(60_000);

  describe('with Redis locks', () => {
    let mesh: PaymentTestMesh;
    let client: PaymentClient;
    /** The paused holder: the first call to pass after_ledger_call while set stalls there. */
    let stall: { readonly reached: () => void; readonly resume: Promise<void> } | undefined;

    before(async () => {
      mesh = await startPaymentTestMesh({
        schema: 'payment_concurrency',
        config: { leaseMs: 2_000, ledgerTimeoutMs: 900 },
        hooks: {
          after_ledger_call: async () => {
            const current = stall;
            if (current === undefined) return;
            stall = undefined;
            current.reached();
            await current.resume;
          },
        },
      });
      client = mesh.paymentAs('demo');
    });
    after(async () => {
      await mesh.stop();
    });

    it('lets one of concurrent captures of a hold win; the others find it captured', async () => {
      const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
      await mesh.fund(payer, 1_000n);
      const created = await client.call.createPayment(paymentRequest(payer, payee, 500n, manual));
      const paymentId = created.payment?.paymentId ?? '';
      const outcomes = await allSettled(
        [100n, 200n, 300n, 400n, 500n].map(
          (amount) => () =>
            client.call.capturePayment({
              paymentId,
              amount: { amount, currency: 'EUR' },
              idempotencyKey: newKey('capture'),
            }),
        ),
      );
      const won = outcomes.filter(
        (outcome): outcome is Exclude<typeof outcome, ClientError> =>
          !(outcome instanceof ClientError),
      );
      expect(won).to.have.length(1);
      const captured = won[0]?.payment?.amountCaptured?.amount ?? 0n;
      for (const outcome of outcomes) {
        if (outcome instanceof ClientError) expect(outcome.reason).to.equal('INVALID_STATE');
      }
      expect(await mesh.balances(payee)).to.deep.equal({ posted: captured, held: 0n });
      expect(await mesh.balances(payer)).to.deep.equal({ posted: 1_000n - captured, held: 0n });
    });

    it('never refunds more than was captured, whatever the concurrency', async () => {
      await refundStorm(mesh, client);
    });

    it('refuses the write of a holder that stalled past its lease; money moves once', async () => {
      const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
      await mesh.fund(payer, 1_000n);
      const fencedBefore = await metricValue(
        mesh.registry,
        'clearmesh_payment_fencing_rejections_total',
        {},
      );
      let reached = (): void => undefined;
      const reachedStall = new Promise<void>((resolve) => {
        reached = resolve;
      });
      let resume = (): void => undefined;
      const resumeSignal = new Promise<void>((resolve) => {
        resume = resolve;
      });
      stall = { reached, resume: resumeSignal };
      const request = paymentRequest(payer, payee, 250n);
      const stalled = client.call.createPayment(request);
      await reachedStall;
      // The stalled holder has made its ledger transfer and holds the lease. Retrying the same
      // key is IN_USE until the lease runs out; then the retry takes the operation over.
      let takenOver: CreatePaymentResponse | undefined;
      let inUse = 0;
      while (takenOver === undefined) {
        try {
          takenOver = await client.call.createPayment(request);
        } catch (error) {
          if (!(error instanceof ClientError) || error.reason !== 'IDEMPOTENCY_KEY_IN_USE') {
            throw error;
          }
          inUse += 1;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      expect(inUse).to.be.greaterThan(0);
      expect(takenOver.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
      resume();
      // The stalled holder resumes: its write is fenced, and it answers what was recorded.
      const resumed = await stalled;
      expect(resumed).to.deep.equal(takenOver);
      expect(
        await metricValue(mesh.registry, 'clearmesh_payment_fencing_rejections_total', {}),
      ).to.equal(fencedBefore + 1);
      expect(await mesh.balances(payer)).to.deep.equal({ posted: 750n, held: 0n });
      expect(await mesh.balances(payee)).to.deep.equal({ posted: 250n, held: 0n });
      const rows = await mesh.db('operations').where({ idempotency_key: request.idempotencyKey });
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ state: 'DONE', lease_version: 2n });
    });
  });

  describe('with Redis unreachable', () => {
    let mesh: PaymentTestMesh;
    let client: PaymentClient;

    before(async () => {
      // Nothing listens on port 1: every lock answers 'unavailable' at once.
      mesh = await startPaymentTestMesh({
        schema: 'payment_no_redis',
        redisUrl: 'redis://127.0.0.1:1',
      });
      client = mesh.paymentAs('demo');
    });
    after(async () => {
      await mesh.stop();
    });

    it('keeps paying correctly without locks, and says so in its metrics', async () => {
      const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
      await mesh.fund(payer, 1_000n);
      const request = paymentRequest(payer, payee, 100n);
      const outcomes = await allSettled(
        Array.from({ length: 6 }, () => () => client.call.createPayment(request)),
      );
      const answers = outcomes.filter(
        (outcome): outcome is Exclude<typeof outcome, ClientError> =>
          !(outcome instanceof ClientError),
      );
      expect(answers.length).to.be.greaterThan(0);
      for (const answer of answers) expect(answer).to.deep.equal(answers[0]);
      for (const outcome of outcomes) {
        if (outcome instanceof ClientError) {
          expect(outcome.code).to.equal(grpc.status.ABORTED);
          expect(outcome.reason).to.equal('IDEMPOTENCY_KEY_IN_USE');
        }
      }
      expect(await mesh.balances(payee)).to.deep.equal({ posted: 100n, held: 0n });
      expect(
        await metricValue(mesh.registry, 'clearmesh_payment_lock_acquisitions_total', {
          outcome: 'unavailable',
        }),
      ).to.be.greaterThan(0);
      expect(await metricValue(mesh.registry, 'clearmesh_redis_up', {})).to.equal(0);
      expect(
        await metricValue(mesh.registry, 'clearmesh_payments_total', { status: 'SUCCEEDED' }),
      ).to.equal(2);
    });

    it('never refunds more than was captured, without locks', async () => {
      await refundStorm(mesh, client);
    });
  });
});
