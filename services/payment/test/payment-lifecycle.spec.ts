// Payments through the real gRPC server over a real account service and ledger: AUTOMATIC and
// MANUAL capture, partial capture, cancel, refunds, declines as FAILED payments, and what the
// ledger holds after each.
import { expect } from 'chai';
import {
  CaptureMethod,
  PaymentFailureReason,
  PaymentStatus,
} from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { RefundStatus } from '../../../gen/grpc-js/clearmesh/payment/v1/refund.js';
import { LedgerAccountStatus } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import type { PaymentClient } from '../../../clients/internal/src/index.js';
import type { CreatePaymentRequest } from '../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { newKey, paymentRequest } from './payment-requests.js';
import { paymentTransferId, refundTransferId } from '../src/domain/index.js';
import { startPaymentTestMesh, type PaymentTestMesh } from './payment-test-mesh.js';

describe('payment lifecycle', function () {
  this.timeout(60_000);
  let mesh: PaymentTestMesh;
  let client: PaymentClient;

  before(async () => {
    mesh = await startPaymentTestMesh({ schema: 'payment_lifecycle' });
    client = mesh.paymentAs('demo');
  });
  after(async () => {
    await mesh.stop();
  });

  it('moves an AUTOMATIC payment with exactly one ledger transfer and answers SUCCEEDED', async () => {
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 1_000n);
    const { payment } = await client.call.createPayment(paymentRequest(payer, payee, 300n));
    if (payment === undefined) throw new Error('no payment');
    expect(payment.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    expect(payment.captureMethod).to.equal(CaptureMethod.CAPTURE_METHOD_AUTOMATIC);
    expect(payment.amountCaptured).to.deep.equal({ amount: 300n, currency: 'EUR' });
    expect(payment.amountRefunded).to.deep.equal({ amount: 0n, currency: 'EUR' });
    expect(payment.failureReason).to.equal(PaymentFailureReason.PAYMENT_FAILURE_REASON_UNSPECIFIED);
    expect(payment.ledgerTransferIds).to.deep.equal([
      paymentTransferId(payment.paymentId, 'authorize'),
    ]);
    expect(payment.metadata).to.deep.equal({ order: '42' });
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 700n, held: 0n });
    expect(await mesh.balances(payee)).to.deep.equal({ posted: 300n, held: 0n });
    const { transfers } = await mesh.accounts.ledgerAdmin.call.lookupTransfers({
      transferIds: payment.ledgerTransferIds,
    });
    expect(transfers.map((transfer) => transfer.amount)).to.deep.equal([300n]);
    const read = await client.call.getPayment({ paymentId: payment.paymentId.toUpperCase() });
    expect(read.payment).to.deep.equal(payment);
  });

  it('answers a decline as a FAILED payment with its reason, and moves nothing', async () => {
    const [payer, payee, frozen] = [
      await mesh.openAccount(),
      await mesh.openAccount(),
      await mesh.openAccount(),
    ];
    await mesh.fund(payer, 100n);
    await mesh.accounts.ledgerAdmin.call.setAccountStatus({
      accountId: frozen,
      status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN,
    });
    const usd = await mesh.openAccount({ currency: 'USD' });
    const cases: [string, CreatePaymentRequest, PaymentFailureReason][] = [
      [
        'insufficient funds',
        paymentRequest(payer, payee, 101n),
        PaymentFailureReason.PAYMENT_FAILURE_REASON_INSUFFICIENT_FUNDS,
      ],
      [
        'frozen payee',
        paymentRequest(payer, frozen, 10n),
        PaymentFailureReason.PAYMENT_FAILURE_REASON_ACCOUNT_FROZEN,
      ],
      [
        'another currency than the accounts',
        paymentRequest(payer, payee, 10n, { amount: { amount: 10n, currency: 'GBP' } }),
        PaymentFailureReason.PAYMENT_FAILURE_REASON_CURRENCY_MISMATCH,
      ],
      [
        'accounts of two currencies',
        paymentRequest(payer, usd, 10n),
        PaymentFailureReason.PAYMENT_FAILURE_REASON_CURRENCY_MISMATCH,
      ],
    ];
    for (const [name, request, reason] of cases) {
      const { payment } = await client.call.createPayment(request);
      expect(payment?.status, name).to.equal(PaymentStatus.PAYMENT_STATUS_FAILED);
      expect(payment?.failureReason, name).to.equal(reason);
      expect(payment?.ledgerTransferIds, name).to.deep.equal([]);
      // A decline is replayed, not retried: the same answer, even once funds would suffice.
      const again = await client.call.createPayment(request);
      expect(again.payment, `${name} replayed`).to.deep.equal(payment);
    }
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 100n, held: 0n });
  });

  it('holds a MANUAL payment, captures part of it and releases the rest', async () => {
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 1_000n);
    const created = await client.call.createPayment(
      paymentRequest(payer, payee, 500n, { captureMethod: CaptureMethod.CAPTURE_METHOD_MANUAL }),
    );
    const payment = created.payment;
    if (payment === undefined) throw new Error('no payment');
    expect(payment.status).to.equal(PaymentStatus.PAYMENT_STATUS_REQUIRES_CAPTURE);
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 1_000n, held: 500n });
    const { transfers } = await mesh.accounts.ledgerAdmin.call.lookupTransfers({
      transferIds: payment.ledgerTransferIds,
    });
    expect(transfers[0]?.timeoutSeconds).to.equal(604_800);

    const captured = await client.call.capturePayment({
      paymentId: payment.paymentId,
      amount: { amount: 200n, currency: 'EUR' },
      idempotencyKey: newKey('capture'),
    });
    expect(captured.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    expect(captured.payment?.amountCaptured?.amount).to.equal(200n);
    expect(captured.payment?.ledgerTransferIds).to.deep.equal([
      paymentTransferId(payment.paymentId, 'authorize'),
      paymentTransferId(payment.paymentId, 'capture'),
    ]);
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 800n, held: 0n });
    expect(await mesh.balances(payee)).to.deep.equal({ posted: 200n, held: 0n });
  });

  it('fails a capture the ledger declines, voiding the hold so the payer gets its money back', async () => {
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 1_000n);
    const created = await client.call.createPayment(
      paymentRequest(payer, payee, 300n, { captureMethod: CaptureMethod.CAPTURE_METHOD_MANUAL }),
    );
    const paymentId = created.payment?.paymentId ?? '';
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 1_000n, held: 300n });
    await mesh.accounts.ledgerAdmin.call.setAccountStatus({
      accountId: payee,
      status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN,
    });
    const key = newKey('capture');
    const captured = await client.call.capturePayment({
      paymentId,
      amount: undefined,
      idempotencyKey: key,
    });
    expect(captured.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_FAILED);
    expect(captured.payment?.failureReason).to.equal(
      PaymentFailureReason.PAYMENT_FAILURE_REASON_ACCOUNT_FROZEN,
    );
    expect(captured.payment?.amountCaptured?.amount).to.equal(0n);
    expect(captured.payment?.ledgerTransferIds).to.deep.equal([
      paymentTransferId(paymentId, 'authorize'),
      paymentTransferId(paymentId, 'void'),
    ]);
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 1_000n, held: 0n });
    expect(await mesh.balances(payee)).to.deep.equal({ posted: 0n, held: 0n });
    // The decline is the key's outcome: replayed even once the account is open again.
    await mesh.accounts.ledgerAdmin.call.setAccountStatus({
      accountId: payee,
      status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_OPEN,
    });
    const again = await client.call.capturePayment({
      paymentId,
      amount: undefined,
      idempotencyKey: key,
    });
    expect(again).to.deep.equal(captured);
  });

  it('cancels a MANUAL payment: the hold is voided and no money moves', async () => {
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 1_000n);
    const created = await client.call.createPayment(
      paymentRequest(payer, payee, 400n, { captureMethod: CaptureMethod.CAPTURE_METHOD_MANUAL }),
    );
    const paymentId = created.payment?.paymentId ?? '';
    const canceled = await client.call.cancelPayment({ paymentId, idempotencyKey: newKey() });
    expect(canceled.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_CANCELED);
    expect(canceled.payment?.ledgerTransferIds.at(-1)).to.equal(
      paymentTransferId(paymentId, 'void'),
    );
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 1_000n, held: 0n });
    expect(await mesh.balances(payee)).to.deep.equal({ posted: 0n, held: 0n });
  });

  it('refunds part, then the rest, and never more than was captured', async () => {
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 1_000n);
    const created = await client.call.createPayment(paymentRequest(payer, payee, 600n));
    const paymentId = created.payment?.paymentId ?? '';
    const first = await client.call.refundPayment({
      paymentId,
      amount: { amount: 100n, currency: 'EUR' },
      idempotencyKey: newKey(),
      reason: 'damaged',
    });
    const refund = first.refund;
    if (refund === undefined) throw new Error('no refund');
    expect(refund.status).to.equal(RefundStatus.REFUND_STATUS_SUCCEEDED);
    expect(refund.amount).to.deep.equal({ amount: 100n, currency: 'EUR' });
    expect(refund.ledgerTransferId).to.equal(refundTransferId(refund.refundId));
    expect(refund.reason).to.equal('damaged');
    const rest = await client.call.refundPayment({
      paymentId,
      amount: undefined,
      idempotencyKey: newKey(),
      reason: '',
    });
    expect(rest.refund?.amount?.amount).to.equal(500n);
    const read = await client.call.getPayment({ paymentId });
    expect(read.payment?.amountRefunded?.amount).to.equal(600n);
    expect(read.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    expect(read.payment?.ledgerTransferIds).to.have.length(3);
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 1_000n, held: 0n });
    expect(await mesh.balances(payee)).to.deep.equal({ posted: 0n, held: 0n });
  });

  it('answers a refund the payee cannot cover as FAILED, and releases what it reserved', async () => {
    const [payer, payee, elsewhere] = [
      await mesh.openAccount(),
      await mesh.openAccount(),
      await mesh.openAccount(),
    ];
    await mesh.fund(payer, 1_000n);
    const created = await client.call.createPayment(paymentRequest(payer, payee, 100n));
    const paymentId = created.payment?.paymentId ?? '';
    // The payee spends what it was paid: nothing is left to refund from.
    await client.call.createPayment(paymentRequest(payee, elsewhere, 100n));
    const declined = await client.call.refundPayment({
      paymentId,
      amount: undefined,
      idempotencyKey: newKey('refund'),
      reason: '',
    });
    expect(declined.refund?.status).to.equal(RefundStatus.REFUND_STATUS_FAILED);
    expect(declined.refund?.failureReason).to.equal(
      PaymentFailureReason.PAYMENT_FAILURE_REASON_INSUFFICIENT_FUNDS,
    );
    expect(declined.refund?.ledgerTransferId).to.equal('');
    const read = await client.call.getPayment({ paymentId });
    expect(read.payment?.amountRefunded?.amount).to.equal(0n);
    expect(read.payment?.ledgerTransferIds).to.have.length(1);
    // Nothing stays reserved: once the payee has money again, the whole amount is refundable.
    await mesh.fund(payee, 100n);
    const refunded = await client.call.refundPayment({
      paymentId,
      amount: undefined,
      idempotencyKey: newKey('refund'),
      reason: '',
    });
    expect(refunded.refund?.status).to.equal(RefundStatus.REFUND_STATUS_SUCCEEDED);
    expect(refunded.refund?.amount?.amount).to.equal(100n);
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 1_000n, held: 0n });
  });
});
