// Reading payments through the real gRPC server: GetPayment and ListPayments (newest first, keyset
// pages bound to the caller and the query, filters, what a partner may see), WatchPayment (the
// current state, then each change, ending at a final state), and a hold that nobody captures
// (FAILED with AUTHORIZATION_EXPIRED, its funds released by the ledger).
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import type { PaymentClient } from '../../../clients/internal/src/index.js';
import {
  CaptureMethod,
  PaymentFailureReason,
  PaymentStatus,
  type Payment,
} from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { LedgerAccountStatus } from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import { clientErrorOf } from '../../../test/harness/test-clients.js';
import { paymentTransferId } from '../src/domain/index.js';
import { asPartner, startPaymentTestMesh, type PaymentTestMesh } from './payment-test-mesh.js';
import { newKey, paymentRequest } from './payment-requests.js';

const manual = { captureMethod: CaptureMethod.CAPTURE_METHOD_MANUAL };

describe('payment reads', function () {
  this.timeout(60_000);
  let mesh: PaymentTestMesh;
  let client: PaymentClient;
  let gateway: PaymentClient;

  before(async () => {
    mesh = await startPaymentTestMesh({
      schema: 'payment_reads',
      config: { recoveryIntervalMs: 100 },
    });
    client = mesh.paymentAs('demo');
    gateway = mesh.paymentAs('gateway');
  });
  after(async () => {
    await mesh.stop();
  });

  it('lists newest first in pages, filtered by account and status, and bound to the query', async () => {
    const [payer, payee, other] = [
      await mesh.openAccount({ owner: 'lister' }),
      await mesh.openAccount({ owner: 'payee-owner' }),
      await mesh.openAccount({ owner: 'someone-else' }),
    ];
    await mesh.fund(payer, 1_000n);
    const made: Payment[] = [];
    for (let index = 0; index < 5; index += 1) {
      const { payment } = await client.call.createPayment(
        paymentRequest(payer, payee, BigInt(index + 1), index === 4 ? manual : {}),
      );
      if (payment === undefined) throw new Error('no payment');
      made.push(payment);
    }
    const unrelated = await mesh.fund(other, 5n);
    const pages: string[][] = [];
    let pageToken = '';
    do {
      const page = await client.call.listPayments({
        accountId: payer,
        status: PaymentStatus.PAYMENT_STATUS_UNSPECIFIED,
        pageSize: 2,
        pageToken,
      });
      pages.push(page.payments.map((payment) => payment.paymentId));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    // The funding payment into `payer` is listed too (it is the payee there): oldest of all.
    const expected = [...made.map((payment) => payment.paymentId).reverse()];
    expect(pages.flat().slice(0, 5)).to.deep.equal(expected);
    expect(pages.flat()).to.have.length(6);
    expect(pages.flat()).to.not.include(unrelated.paymentId);
    expect(pages.map((page) => page.length)).to.deep.equal([2, 2, 2]);

    const held = await client.call.listPayments({
      accountId: payee,
      status: PaymentStatus.PAYMENT_STATUS_REQUIRES_CAPTURE,
      pageSize: 0,
      pageToken: '',
    });
    expect(held.payments.map((payment) => payment.paymentId)).to.deep.equal([made[4]?.paymentId]);

    // A token works only for the query and caller it was issued for.
    const first = await client.call.listPayments({
      accountId: payer,
      status: PaymentStatus.PAYMENT_STATUS_UNSPECIFIED,
      pageSize: 1,
      pageToken: '',
    });
    const refusals = [
      () =>
        client.call.listPayments({
          accountId: payee,
          status: PaymentStatus.PAYMENT_STATUS_UNSPECIFIED,
          pageSize: 1,
          pageToken: first.nextPageToken,
        }),
      () =>
        mesh.paymentAs('admin').call.listPayments({
          accountId: payer,
          status: PaymentStatus.PAYMENT_STATUS_UNSPECIFIED,
          pageSize: 1,
          pageToken: first.nextPageToken,
        }),
      () =>
        client.call.listPayments({
          accountId: payer,
          status: PaymentStatus.PAYMENT_STATUS_UNSPECIFIED,
          pageSize: 1,
          pageToken: `${first.nextPageToken}x`,
        }),
      () =>
        client.call.listPayments({
          accountId: payer,
          status: PaymentStatus.UNRECOGNIZED,
          pageSize: 1,
          pageToken: '',
        }),
      () =>
        client.call.listPayments({
          accountId: payer,
          status: PaymentStatus.PAYMENT_STATUS_UNSPECIFIED,
          pageSize: -1,
          pageToken: '',
        }),
      () =>
        client.call.listPayments({
          accountId: 'nope',
          status: PaymentStatus.PAYMENT_STATUS_UNSPECIFIED,
          pageSize: 1,
          pageToken: '',
        }),
    ];
    for (const refusal of refusals) {
      const error = await clientErrorOf(refusal());
      expect(error.code).to.equal(grpc.status.INVALID_ARGUMENT);
    }
    const unknown = await clientErrorOf(
      client.call.listPayments({
        accountId: '0190f3c4-1111-7222-8333-944455556666',
        status: PaymentStatus.PAYMENT_STATUS_UNSPECIFIED,
        pageSize: 1,
        pageToken: '',
      }),
    );
    expect(unknown.reason).to.equal('ACCOUNT_NOT_FOUND');
  });

  it('shows a partner only payments on accounts it owns', async () => {
    const [mine, theirs, third] = [
      await mesh.openAccount({ owner: 'partner-p' }),
      await mesh.openAccount({ owner: 'partner-q' }),
      await mesh.openAccount({ owner: 'partner-r' }),
    ];
    await mesh.fund(mine, 100n);
    await mesh.fund(theirs, 100n);
    const outgoing = await client.call.createPayment(paymentRequest(mine, theirs, 10n));
    const elsewhere = await client.call.createPayment(paymentRequest(theirs, third, 10n));
    const listed = await gateway.call.listPayments(
      {
        accountId: '',
        status: PaymentStatus.PAYMENT_STATUS_UNSPECIFIED,
        pageSize: 50,
        pageToken: '',
      },
      asPartner('partner-p'),
    );
    const ids = listed.payments.map((payment) => payment.paymentId);
    expect(ids).to.include(outgoing.payment?.paymentId);
    expect(ids).to.not.include(elsewhere.payment?.paymentId);
    // Its own funding payment (from a SETTLEMENT account it does not own) is on its account.
    expect(ids).to.have.length(2);
    const foreign = await clientErrorOf(
      gateway.call.listPayments(
        {
          accountId: theirs,
          status: PaymentStatus.PAYMENT_STATUS_UNSPECIFIED,
          pageSize: 50,
          pageToken: '',
        },
        asPartner('partner-p'),
      ),
    );
    expect(foreign.code).to.equal(grpc.status.NOT_FOUND);
    expect(foreign.reason).to.equal('ACCOUNT_NOT_FOUND');
  });

  it('streams a payment from its current state through each change to its final state', async () => {
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 1_000n);
    const created = await client.call.createPayment(paymentRequest(payer, payee, 300n, manual));
    const paymentId = created.payment?.paymentId ?? '';
    const seen: PaymentStatus[] = [];
    let notifyFirst: () => void = () => undefined;
    const firstSeen = new Promise<void>((resolve) => {
      notifyFirst = resolve;
    });
    const watching = (async () => {
      for await (const message of client.call.watchPayment({ paymentId })) {
        seen.push(message.payment?.status ?? PaymentStatus.PAYMENT_STATUS_UNSPECIFIED);
        notifyFirst();
      }
    })();
    await firstSeen;
    await client.call.capturePayment({
      paymentId,
      amount: { amount: 100n, currency: 'EUR' },
      idempotencyKey: newKey(),
    });
    await watching;
    expect(seen).to.deep.equal([
      PaymentStatus.PAYMENT_STATUS_REQUIRES_CAPTURE,
      PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
    ]);
    // A final payment answers one message and ends.
    const again: Payment[] = [];
    for await (const message of client.call.watchPayment({ paymentId })) {
      if (message.payment !== undefined) again.push(message.payment);
    }
    expect(again.map((payment) => payment.amountCaptured?.amount)).to.deep.equal([100n]);
    const missing = await clientErrorOf(
      (async () => {
        for await (const message of client.call.watchPayment({
          paymentId: '0190f3c4-1111-7222-8333-944455556666',
        })) {
          expect.fail(`no message expected, got ${JSON.stringify(message)}`);
        }
      })(),
    );
    expect(missing.code).to.equal(grpc.status.NOT_FOUND);
  });

  it('fails a hold nobody captured with AUTHORIZATION_EXPIRED, and the ledger releases its funds', async () => {
    const [payer, payee] = [await mesh.openAccount(), await mesh.openAccount()];
    await mesh.fund(payer, 500n);
    const created = await client.call.createPayment(
      paymentRequest(payer, payee, 200n, { ...manual, authorizationTtlSeconds: 1 }),
    );
    const paymentId = created.payment?.paymentId ?? '';
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 500n, held: 200n });
    let last: Payment | undefined;
    for await (const message of client.call.watchPayment({ paymentId })) last = message.payment;
    expect(last?.status).to.equal(PaymentStatus.PAYMENT_STATUS_FAILED);
    expect(last?.failureReason).to.equal(
      PaymentFailureReason.PAYMENT_FAILURE_REASON_AUTHORIZATION_EXPIRED,
    );
    // The ledger's own expiry releases the hold (its job is driven by hand in these tests).
    await mesh.accounts.ledgerService().expiry.runOnce();
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 500n, held: 0n });
    const capture = await clientErrorOf(
      client.call.capturePayment({ paymentId, amount: undefined, idempotencyKey: newKey() }),
    );
    expect(capture.reason).to.equal('INVALID_STATE');
    expect(capture.message).to.match(/authorization_expired/);
  });

  it('answers a capture or cancel that finds the hold expired with INVALID_STATE, and the payment FAILED', async () => {
    // The payment service's own expiry pass is not running here: the ledger's answer decides.
    const quiet = await startPaymentTestMesh({ schema: 'payment_reads_quiet' });
    try {
      const [quietPayer, quietPayee] = [await quiet.openAccount(), await quiet.openAccount()];
      await quiet.fund(quietPayer, 500n);
      const quietClient = quiet.paymentAs('demo');
      const created = await quietClient.call.createPayment(
        paymentRequest(quietPayer, quietPayee, 100n, { ...manual, authorizationTtlSeconds: 1 }),
      );
      const paymentId = created.payment?.paymentId ?? '';
      const toCancel = await quietClient.call.createPayment(
        paymentRequest(quietPayer, quietPayee, 50n, { ...manual, authorizationTtlSeconds: 1 }),
      );
      const cancelId = toCancel.payment?.paymentId ?? '';
      // The ledger clock decides expiry: wait until it has passed the holds' timeout.
      const clock = quiet.accounts.ledgerService().clock;
      const key = newKey();
      await waitForLedgerTime(clock, Date.now() + 1_100);
      const refused = await clientErrorOf(
        quietClient.call.capturePayment({ paymentId, amount: undefined, idempotencyKey: key }),
      );
      expect(refused.code).to.equal(grpc.status.FAILED_PRECONDITION);
      expect(refused.reason).to.equal('INVALID_STATE');
      const read = await quietClient.call.getPayment({ paymentId });
      expect(read.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_FAILED);
      expect(read.payment?.failureReason).to.equal(
        PaymentFailureReason.PAYMENT_FAILURE_REASON_AUTHORIZATION_EXPIRED,
      );
      // The answer is stored with the key: a retry replays the same refusal.
      const replay = await clientErrorOf(
        quietClient.call.capturePayment({ paymentId, amount: undefined, idempotencyKey: key }),
      );
      expect(replay.reason).to.equal('INVALID_STATE');
      expect(replay.message).to.equal(refused.message);

      // A cancel finds the same: its void is refused as expired, and the payment is FAILED.
      const cancel = await clientErrorOf(
        quietClient.call.cancelPayment({ paymentId: cancelId, idempotencyKey: newKey() }),
      );
      expect(cancel.code).to.equal(grpc.status.FAILED_PRECONDITION);
      expect(cancel.reason).to.equal('INVALID_STATE');
      const canceled = await quietClient.call.getPayment({ paymentId: cancelId });
      expect(canceled.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_FAILED);
      expect(canceled.payment?.failureReason).to.equal(
        PaymentFailureReason.PAYMENT_FAILURE_REASON_AUTHORIZATION_EXPIRED,
      );
      // No void was made: the hold's ledger transfer is all the payment has.
      expect(canceled.payment?.ledgerTransferIds).to.have.length(1);
    } finally {
      await quiet.stop();
    }
  });

  it('fails a declined capture whose hold expires before its void, leaving the release to the ledger', async () => {
    // The capture's post is declined (payee frozen); before its void, the hold passes its timeout.
    // The void is then refused as expired: no void transfer, the payment FAILED for the decline,
    // and the ledger's expiry gives the payer its money back.
    let ledgerClock: { now(): Date } | undefined;
    let holdExpiresAtMs = Infinity;
    const quiet = await startPaymentTestMesh({
      schema: 'payment_reads_void_expired',
      hooks: {
        after_ledger_call: async (lease) => {
          if (lease.operation.rpc !== 'CapturePayment' || ledgerClock === undefined) return;
          await waitForLedgerTime(ledgerClock, holdExpiresAtMs);
        },
      },
    });
    try {
      ledgerClock = quiet.accounts.ledgerService().clock;
      const [payer, payee] = [await quiet.openAccount(), await quiet.openAccount()];
      await quiet.fund(payer, 500n);
      const quietClient = quiet.paymentAs('demo');
      const created = await quietClient.call.createPayment(
        paymentRequest(payer, payee, 100n, { ...manual, authorizationTtlSeconds: 1 }),
      );
      const paymentId = created.payment?.paymentId ?? '';
      holdExpiresAtMs = Date.now() + 1_100;
      await quiet.accounts.ledgerAdmin.call.setAccountStatus({
        accountId: payee,
        status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN,
      });
      const captured = await quietClient.call.capturePayment({
        paymentId,
        amount: undefined,
        idempotencyKey: newKey(),
      });
      expect(captured.payment?.status).to.equal(PaymentStatus.PAYMENT_STATUS_FAILED);
      expect(captured.payment?.failureReason).to.equal(
        PaymentFailureReason.PAYMENT_FAILURE_REASON_ACCOUNT_FROZEN,
      );
      expect(captured.payment?.ledgerTransferIds).to.deep.equal([
        paymentTransferId(paymentId, 'authorize'),
      ]);
      const { transfers } = await quiet.accounts.ledgerAdmin.call.lookupTransfers({
        transferIds: [paymentTransferId(paymentId, 'void')],
      });
      expect(transfers).to.deep.equal([]);
      await quiet.accounts.ledgerService().expiry.runOnce();
      expect(await quiet.balances(payer)).to.deep.equal({ posted: 500n, held: 0n });
      expect(await quiet.balances(payee)).to.deep.equal({ posted: 0n, held: 0n });
    } finally {
      await quiet.stop();
    }
  });
});

/** Resolves once `clock` reads at least `atMs` (the ledger clock follows wall time). */
async function waitForLedgerTime(clock: { now(): Date }, atMs: number): Promise<void> {
  const remaining = atMs - clock.now().getTime();
  if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
}
