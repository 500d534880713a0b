// Payments the ledger could not finish: with the ledger down the call fails UNAVAILABLE, the
// payment stays PENDING with its operation RUNNING, and once the ledger is back the recovery
// worker (or a retry with the same key) finishes it — exactly once, and the retry then replays it.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import type { Registry } from 'prom-client';
import type { PaymentClient } from '../../../clients/internal/src/index.js';
import { CaptureMethod, PaymentStatus } from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { reapOperations } from '../src/store/index.js';
import { clientErrorOf } from '../../../test/harness/test-clients.js';
import { startPaymentTestMesh, type PaymentTestMesh } from './payment-test-mesh.js';
import { paymentRequest } from './payment-requests.js';

async function counter(registry: Registry, name: string, labels: Record<string, string>) {
  const metric = await registry.getSingleMetric(name)?.get();
  const value = metric?.values.find((sample) =>
    Object.entries(labels).every(([key, expected]) => sample.labels[key] === expected),
  );
  return value?.value ?? 0;
}

describe('payment recovery', function () {
  this.timeout(60_000);
  let mesh: PaymentTestMesh;
  let client: PaymentClient;

  before(async () => {
    mesh = await startPaymentTestMesh({
      schema: 'payment_recovery',
      config: { leaseMs: 1_000, ledgerTimeoutMs: 300 },
    });
    client = mesh.paymentAs('demo');
  });
  after(async () => {
    await mesh.stop();
  });

  it('re-drives a payment the ledger did not answer, once the ledger is back', async () => {
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 1_000n);
    await mesh.fund(payee, 1n); // both accounts' facts are now known without the ledger
    await mesh.accounts.stopLedger();
    const request = paymentRequest(payer, payee, 400n);
    let failure;
    try {
      failure = await clientErrorOf(client.call.createPayment(request));
    } finally {
      await mesh.accounts.startLedger();
    }
    expect(failure.code).to.equal(grpc.status.UNAVAILABLE);
    expect(['DEPENDENCY_UNAVAILABLE', 'CIRCUIT_OPEN']).to.include(failure.reason);
    const [stored] = await mesh
      .db('payments')
      .where({ idempotency_key: request.idempotencyKey })
      .select<{ payment_id: string; status: string }[]>('payment_id', 'status');
    expect(stored).to.include({ status: 'PENDING' });
    const [operation] = await mesh
      .db('operations')
      .where({ idempotency_key: request.idempotencyKey })
      .select<{ state: string }[]>('state');
    expect(operation).to.include({ state: 'RUNNING' });

    // The failed call gave its lease back: the recovery pass takes the operation at once.
    const before = await counter(mesh.registry, 'clearmesh_payment_recovery_redrives_total', {
      rpc: 'CreatePayment',
      outcome: 'finished',
    });
    let redriven = 0;
    // The ledger client's breaker may still be open for a moment after the restart.
    for (let attempt = 0; redriven === 0 && attempt < 50; attempt += 1) {
      const pass = await mesh.payment.recovery.runOnce().catch(() => ({ redriven: 0 }));
      redriven = pass.redriven;
      if (redriven === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(redriven).to.equal(1);
    expect(
      await counter(mesh.registry, 'clearmesh_payment_recovery_redrives_total', {
        rpc: 'CreatePayment',
        outcome: 'finished',
      }),
    ).to.equal(before + 1);
    // The caller's retry now replays what recovery recorded.
    const retried = await client.call.createPayment(request);
    expect(retried.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    expect(retried.payment?.paymentId).to.equal(stored?.payment_id);
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 600n, held: 0n });
    expect(await mesh.balances(payee)).to.deep.equal({ posted: 401n, held: 0n });
    // Nothing is left to re-drive.
    expect((await mesh.payment.recovery.runOnce()).redriven).to.equal(0);
  });

  it('reaps finished keys past their retention, and never a running one', async () => {
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 100n);
    const request = paymentRequest(payer, payee, 10n);
    await client.call.createPayment(request);
    const keys = () =>
      mesh
        .db('operations')
        .where({ idempotency_key: request.idempotencyKey })
        .select<{ state: string }[]>('state');
    expect(await keys()).to.deep.equal([{ state: 'DONE' }]);
    // Nothing is old enough under the real retention (at least 24 hours).
    expect(await reapOperations(mesh.db, 24 * 3_600_000, 1_000)).to.equal(0);
    await mesh.db('operations').insert({
      operation_id: '0190f3c4-0000-7000-8000-000000000001',
      scope: 'client/demo',
      idempotency_key: 'still-running',
      rpc: 'CreatePayment',
      request_hash: Buffer.alloc(32),
      payment_id: (await mesh.db('payments').first<{ payment_id: string }>('payment_id'))
        .payment_id,
      state: 'RUNNING',
      lease_version: 1,
      leased_until: new Date(Date.now() + 60_000),
      holder: 'someone else',
      created_at: new Date(0),
    });
    const reaped = await reapOperations(mesh.db, 0, 100_000);
    expect(reaped).to.be.greaterThan(0);
    expect(await keys()).to.deep.equal([]);
    const running = await mesh.db('operations').where({ idempotency_key: 'still-running' });
    expect(running).to.have.length(1);
    await mesh.db('operations').where({ idempotency_key: 'still-running' }).delete();
  });

  it('ends a watch with UNAVAILABLE / SHUTTING_DOWN when the service stops', async () => {
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 100n);
    const created = await client.call.createPayment(
      paymentRequest(payer, payee, 10n, { captureMethod: CaptureMethod.CAPTURE_METHOD_MANUAL }),
    );
    const stream = client.call.watchPayment({ paymentId: created.payment?.paymentId ?? '' });
    const error = await clientErrorOf(
      (async () => {
        for await (const message of stream) {
          expect(message.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_REQUIRES_CAPTURE);
          await mesh.payment.stop();
        }
      })(),
    );
    expect(error.code).to.equal(grpc.status.UNAVAILABLE);
    expect(error.reason).to.equal('SHUTTING_DOWN');
  });
});
