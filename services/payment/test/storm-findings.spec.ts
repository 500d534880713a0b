// Two failures the idempotency storm ran into, each reduced to one deterministic case:
// both failed before account lookups got their own deadline and a stale key lock stopped blocking.
//   1. Callers that give up open the payment service's breaker to a healthy account service.
//   2. A key's Redis lock that outlived its call blocks the key, though nothing runs or is stored.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { ClientError, createPaymentClient } from '../../../clients/internal/src/index.js';
import type { CreatePaymentResponse } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { PaymentStatus } from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { clientErrorOf, meshCredentialsFor } from '../../../test/harness/test-clients.js';
import { testRun } from '../../../test/harness/test-run.js';
import { paymentRequest } from './payment-requests.js';
import { startPaymentTestMesh, type PaymentTestMesh } from './payment-test-mesh.js';

describe('payment storm findings', function () {
  this.timeout(60_000);
  let mesh: PaymentTestMesh | undefined;
  afterEach(async () => {
    await mesh?.stop();
    mesh = undefined;
  });

  it('keeps the account breaker closed when callers give up and the account service is healthy', async () => {
    let stalledKey = '';
    let claimed: () => void = () => undefined;
    const stalledClaimed = new Promise<void>((resolve) => (claimed = resolve));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started = await startPaymentTestMesh({
      schema: 'payment_finding_breaker',
      hooks: {
        after_claim: async (lease) => {
          if (lease.operation.idempotencyKey !== stalledKey) return;
          claimed();
          await gate;
        },
      },
    });
    mesh = started;
    const payer = await started.openAccount();
    await started.fund(payer, 1_000n); // the payer's facts are now cached by the payment service
    const client = (): ReturnType<typeof createPaymentClient> =>
      createPaymentClient({
        address: started.paymentAddress,
        credentials: meshCredentialsFor('demo', 'service/payment'),
        registry: new Registry(),
        retry: { attemptsMax: 1 },
        breaker: { volumeThreshold: Number.MAX_SAFE_INTEGER },
      });
    const [patient, impatient] = [client(), client()];

    // A payment holds the payer's lock, stalled after its claim.
    const stalled = paymentRequest(payer, await started.openAccount(), 1n);
    stalledKey = stalled.idempotencyKey;
    const stalledCall = patient.call.createPayment(stalled, { timeoutMs: 30_000 });
    await stalledClaimed;
    // Twelve callers with 100 ms deadlines to accounts the service has not seen: each waits for
    // the payer's lock until its deadline, then looks its payee up with the deadline passed.
    const coldPayees = await Promise.all(Array.from({ length: 12 }, () => started.openAccount()));
    const gaveUp = await Promise.all(
      coldPayees.map((payee) =>
        clientErrorOf(
          impatient.call.createPayment(paymentRequest(payer, payee, 1n), { timeoutMs: 100 }),
        ),
      ),
    );
    expect(gaveUp.map((error) => error.code)).to.have.length(12);
    release();
    await stalledCall;

    const opened = (
      await started.registry.getSingleMetric('clearmesh_circuit_breaker_transitions_total')?.get()
    )?.values
      .filter((value) => value.labels['target'] === 'account' && value.labels['state'] === 'open')
      .reduce((total, value) => total + value.value, 0);
    // A caller with time to wait, to an account the service has not seen: the account service is
    // healthy, so the payment should go through.
    const answer = await answerOf(
      patient.call.createPayment(paymentRequest(payer, await started.openAccount(), 1n), {
        timeoutMs: 10_000,
      }),
    );
    patient.close();
    impatient.close();
    expect({ answer, breakerOpened: opened ?? 0 }).to.deep.equal({
      answer: 'OK PAYMENT_STATUS_SUCCEEDED',
      breakerOpened: 0,
    });
  });

  it('claims a key whose Redis lock outlived its call, with nothing stored and nothing running', async () => {
    mesh = await startPaymentTestMesh({ schema: 'payment_finding_key_lock' });
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 1_000n);
    const request = paymentRequest(payer, payee, 10n);
    // What a call leaves behind when its SET NX reply timed out (Redis applied it), when its
    // release failed, or when its process died between the SET and the claim: the key's lock, with
    // the lease TTL (leaseMs, 15 s by default), and no operation in Postgres.
    const redis = testRun().redis.connect();
    await redis.set(
      `payment_finding_key_lock:idempotency_key:client/demo\n${request.idempotencyKey}`,
      'token-of-a-call-that-is-gone',
      'PX',
      15_000,
    );
    redis.disconnect();
    const client = mesh.paymentAs('demo');
    const answers: string[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const answer = await answerOf(client.call.createPayment(request, { timeoutMs: 5_000 }));
      answers.push(answer);
      if (answer === 'OK PAYMENT_STATUS_SUCCEEDED') break;
    }
    expect(
      await mesh.db('operations').where({ idempotency_key: request.idempotencyKey }),
    ).to.have.length(answers.includes('OK PAYMENT_STATUS_SUCCEEDED') ? 1 : 0);
    expect(answers).to.deep.equal(['OK PAYMENT_STATUS_SUCCEEDED']);
  });
});

/** A CreatePayment's outcome as text: OK and the status, or the code and reason. */
async function answerOf(call: Promise<CreatePaymentResponse>): Promise<string> {
  try {
    const response = await call;
    return `OK ${PaymentStatus[response.payment?.status ?? PaymentStatus.UNRECOGNIZED]}`;
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    return `${grpc.status[error.code]} ${error.reason}`;
  }
}
