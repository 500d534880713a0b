// What the payment service refuses, through the real gRPC server: bad input (INVALID_ARGUMENT,
// nothing stored, not even the key), key reuse with other parameters, unknown and foreign
// accounts and payments (NOT_FOUND), SETTLEMENT payers and partner scopes (PERMISSION_DENIED),
// and actions the payment's state forbids (INVALID_STATE). Each refusal changes nothing.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import type { PaymentClient } from '../../../clients/internal/src/index.js';
import { CaptureMethod, PaymentStatus } from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import type { CreatePaymentRequest } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { clientErrorOf } from '../../../test/harness/test-clients.js';
import { asPartner, startPaymentTestMesh, type PaymentTestMesh } from './payment-test-mesh.js';
import { newKey, paymentRequest } from './payment-requests.js';

const unknownId = '0190f3c4-1111-7222-8333-944455556666';
const manual = { captureMethod: CaptureMethod.CAPTURE_METHOD_MANUAL };

describe('payment requests refused', function () {
  this.timeout(60_000);
  let mesh: PaymentTestMesh;
  let client: PaymentClient;
  let gateway: PaymentClient;
  let payer: string;
  let payee: string;

  before(async () => {
    mesh = await startPaymentTestMesh({ schema: 'payment_refused' });
    client = mesh.paymentAs('demo');
    gateway = mesh.paymentAs('gateway');
    payer = await mesh.openAccount({ owner: 'partner-a' });
    payee = await mesh.openAccount({ owner: 'partner-b' });
    await mesh.fund(payer, 10_000n);
  });
  after(async () => {
    await mesh.stop();
  });

  async function storedKeys(): Promise<number> {
    const [row] = await mesh.db('operations').count<{ n: string }[]>({ n: '*' });
    return Number(row?.n);
  }

  it('answers INVALID_ARGUMENT with a BadRequest per bad field, and stores nothing', async () => {
    const before = await storedKeys();
    const bad: [string, Partial<CreatePaymentRequest>][] = [
      ['idempotency_key', { idempotencyKey: '' }],
      ['idempotency_key', { idempotencyKey: 'k'.repeat(256) }],
      ['idempotency_key', { idempotencyKey: 'has space' }],
      ['payer_account_id', { payerAccountId: 'not-a-uuid' }],
      ['payer_account_id', { payerAccountId: '' }],
      ['payee_account_id', { payeeAccountId: '00000000-0000-0000-0000-000000000000' }],
      ['payee_account_id', { payeeAccountId: payer }],
      ['amount', { amount: undefined }],
      ['amount.amount', { amount: { amount: 0n, currency: 'EUR' } }],
      ['amount.amount', { amount: { amount: -5n, currency: 'EUR' } }],
      ['amount.currency', { amount: { amount: 5n, currency: 'eur' } }],
      ['amount.currency', { amount: { amount: 5n, currency: 'XXX' } }],
      ['amount.currency', { amount: { amount: 5n, currency: '' } }],
      ['capture_method', { captureMethod: CaptureMethod.UNRECOGNIZED }],
      ['authorization_ttl_seconds', { authorizationTtlSeconds: 60 }],
      ['authorization_ttl_seconds', { ...manual, authorizationTtlSeconds: 2_592_001 }],
      ['description', { description: 'd'.repeat(1001) }],
      ['description', { description: 'line\nbreak' }],
      ['reference', { reference: 'r'.repeat(129) }],
      ['metadata', { metadata: { 'bad key': 'v' } }],
      ['metadata[k]', { metadata: { k: 'v'.repeat(501) } }],
      [
        'metadata',
        { metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) },
      ],
    ];
    for (const [field, override] of bad) {
      const error = await clientErrorOf(
        client.call.createPayment(paymentRequest(payer, payee, 10n, override)),
      );
      expect(error.code, field).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(error.reason, field).to.equal('VALIDATION_FAILED');
      const fields = error.details.badRequest?.fieldViolations.map((violation) => violation.field);
      expect(fields, field).to.include(field);
    }
    // A key refused once is still free: the same key with good fields creates the payment.
    const request = paymentRequest(payer, payee, 10n);
    const refused = await clientErrorOf(
      client.call.createPayment({ ...request, amount: { amount: 0n, currency: 'EUR' } }),
    );
    expect(refused.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(await storedKeys()).to.equal(before);
    const created = await client.call.createPayment(request);
    expect(created.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
  });

  it('replays a key byte for byte, and refuses it with other parameters or another RPC', async () => {
    const request = paymentRequest(payer, payee, 25n, { metadata: { a: '1', b: '2' } });
    const first = await client.call.createPayment(request);
    // Same parameters after defaults: UPPER-case ids, metadata in another order, UNSPECIFIED.
    const again = await client.call.createPayment({
      ...request,
      payerAccountId: payer.toUpperCase(),
      metadata: { b: '2', a: '1' },
      captureMethod: CaptureMethod.CAPTURE_METHOD_AUTOMATIC,
    });
    expect(again).to.deep.equal(first);
    const before = await mesh.balances(payer);
    for (const other of [
      { ...request, amount: { amount: 26n, currency: 'EUR' } },
      { ...request, description: 'changed' },
      { ...request, metadata: { a: '1' } },
    ]) {
      const error = await clientErrorOf(client.call.createPayment(other));
      expect(error.code).to.equal(grpc.status.FAILED_PRECONDITION);
      expect(error.reason).to.equal('IDEMPOTENCY_KEY_REUSED');
    }
    const paymentId = first.payment?.paymentId ?? '';
    const otherRpc = await clientErrorOf(
      client.call.refundPayment({
        paymentId,
        amount: undefined,
        idempotencyKey: request.idempotencyKey,
        reason: '',
      }),
    );
    expect(otherRpc.reason).to.equal('IDEMPOTENCY_KEY_REUSED');
    expect(await mesh.balances(payer)).to.deep.equal(before);
    // Keys are scoped to the caller: another principal's same key is another payment.
    const admin = mesh.paymentAs('admin');
    const theirs = await admin.call.createPayment(request);
    expect(theirs.payment?.paymentId).to.not.equal(paymentId);
  });

  it("answers NOT_FOUND for unknown accounts and payments, and for a partner another owner's", async () => {
    for (const [field, request] of [
      ['payer_account_id', paymentRequest(unknownId, payee, 5n)],
      ['payee_account_id', paymentRequest(payer, unknownId, 5n)],
    ] as const) {
      const error = await clientErrorOf(client.call.createPayment(request));
      expect(error.code, field).to.equal(grpc.status.NOT_FOUND);
      expect(error.reason, field).to.equal('ACCOUNT_NOT_FOUND');
    }
    // partner-b owns the payee, not the payer: paying from it is as if it did not exist.
    const foreign = await clientErrorOf(
      gateway.call.createPayment(paymentRequest(payer, payee, 5n), asPartner('partner-b')),
    );
    expect(foreign.code).to.equal(grpc.status.NOT_FOUND);
    expect(foreign.reason).to.equal('ACCOUNT_NOT_FOUND');
    // partner-a pays from its own account into anyone's.
    const own = await gateway.call.createPayment(
      paymentRequest(payer, payee, 5n),
      asPartner('partner-a'),
    );
    const paymentId = own.payment?.paymentId ?? '';
    expect(own.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    // Both partners see it (one pays, one is paid); a third sees nothing of it.
    for (const partner of ['partner-a', 'partner-b']) {
      const read = await gateway.call.getPayment({ paymentId }, asPartner(partner));
      expect(read.payment?.paymentId, partner).to.equal(paymentId);
    }
    for (const call of [
      () => gateway.call.getPayment({ paymentId }, asPartner('partner-c')),
      () =>
        gateway.call.refundPayment(
          { paymentId, amount: undefined, idempotencyKey: newKey(), reason: '' },
          asPartner('partner-c'),
        ),
      () => client.call.getPayment({ paymentId: unknownId }),
      () => client.call.cancelPayment({ paymentId: unknownId, idempotencyKey: newKey() }),
    ]) {
      const error = await clientErrorOf(call());
      expect(error.code).to.equal(grpc.status.NOT_FOUND);
      expect(error.reason).to.equal('PAYMENT_NOT_FOUND');
    }
    // The payer's partner sees the payment but may not refund it: the payee's owner refunds.
    const notPayee = await clientErrorOf(
      gateway.call.refundPayment(
        { paymentId, amount: undefined, idempotencyKey: newKey(), reason: '' },
        asPartner('partner-a'),
      ),
    );
    expect(notPayee.code).to.equal(grpc.status.PERMISSION_DENIED);
    const refunded = await gateway.call.refundPayment(
      { paymentId, amount: undefined, idempotencyKey: newKey(), reason: '' },
      asPartner('partner-b'),
    );
    expect(refunded.refund?.amount?.amount).to.equal(5n);
  });

  it('lets only client/admin pay from a SETTLEMENT account, and partners only with their scope', async () => {
    const settlement = await mesh.openAccount({ owner: 'partner-a', kind: 'SETTLEMENT' });
    const internal = await clientErrorOf(
      client.call.createPayment(paymentRequest(settlement, payee, 5n)),
    );
    expect(internal.code).to.equal(grpc.status.PERMISSION_DENIED);
    expect(internal.reason).to.equal('POLICY_DENIED');
    // A partner never pays from a SETTLEMENT account, even one with its id as owner.
    const partner = await clientErrorOf(
      gateway.call.createPayment(paymentRequest(settlement, payee, 5n), asPartner('partner-a')),
    );
    expect(partner.code).to.equal(grpc.status.NOT_FOUND);
    // Anyone may pay into one.
    const into = await client.call.createPayment(paymentRequest(payer, settlement, 5n));
    expect(into.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    const readOnly = await clientErrorOf(
      gateway.call.createPayment(
        paymentRequest(payer, payee, 5n),
        asPartner('partner-a', ['payments:read']),
      ),
    );
    expect(readOnly.code).to.equal(grpc.status.PERMISSION_DENIED);
    const noPartner = await clientErrorOf(gateway.call.getPayment({ paymentId: unknownId }));
    expect(noPartner.code).to.equal(grpc.status.PERMISSION_DENIED);
  });

  it('refuses actions the payment state forbids with INVALID_STATE, changing nothing', async () => {
    const automatic = await client.call.createPayment(paymentRequest(payer, payee, 50n));
    const paymentId = automatic.payment?.paymentId ?? '';
    for (const call of [
      () => client.call.capturePayment({ paymentId, amount: undefined, idempotencyKey: newKey() }),
      () => client.call.cancelPayment({ paymentId, idempotencyKey: newKey() }),
    ]) {
      const error = await clientErrorOf(call());
      expect(error.code).to.equal(grpc.status.FAILED_PRECONDITION);
      expect(error.reason).to.equal('INVALID_STATE');
    }
    const tooMuch = await clientErrorOf(
      client.call.refundPayment({
        paymentId,
        amount: { amount: 51n, currency: 'EUR' },
        idempotencyKey: newKey(),
        reason: '',
      }),
    );
    expect(tooMuch.code).to.equal(grpc.status.INVALID_ARGUMENT);
    const wrongCurrency = await clientErrorOf(
      client.call.refundPayment({
        paymentId,
        amount: { amount: 5n, currency: 'USD' },
        idempotencyKey: newKey(),
        reason: '',
      }),
    );
    expect(wrongCurrency.code).to.equal(grpc.status.INVALID_ARGUMENT);
    await client.call.refundPayment({
      paymentId,
      amount: { amount: 30n, currency: 'EUR' },
      idempotencyKey: newKey(),
      reason: '',
    });
    const beyond = await clientErrorOf(
      client.call.refundPayment({
        paymentId,
        amount: { amount: 21n, currency: 'EUR' },
        idempotencyKey: newKey(),
        reason: '',
      }),
    );
    expect(beyond.reason).to.equal('INVALID_STATE');

    const held = await client.call.createPayment(paymentRequest(payer, payee, 40n, manual));
    const heldId = held.payment?.paymentId ?? '';
    const overCapture = await clientErrorOf(
      client.call.capturePayment({
        paymentId: heldId,
        amount: { amount: 41n, currency: 'EUR' },
        idempotencyKey: newKey(),
      }),
    );
    expect(overCapture.code).to.equal(grpc.status.INVALID_ARGUMENT);
    const notCaptured = await clientErrorOf(
      client.call.refundPayment({
        paymentId: heldId,
        amount: undefined,
        idempotencyKey: newKey(),
        reason: '',
      }),
    );
    expect(notCaptured.reason).to.equal('INVALID_STATE');
    await client.call.cancelPayment({ paymentId: heldId, idempotencyKey: newKey() });
    const afterCancel = await clientErrorOf(
      client.call.capturePayment({
        paymentId: heldId,
        amount: undefined,
        idempotencyKey: newKey(),
      }),
    );
    expect(afterCancel.reason).to.equal('INVALID_STATE');
    const read = await client.call.getPayment({ paymentId: heldId });
    expect(read.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_CANCELED);
  });
});
