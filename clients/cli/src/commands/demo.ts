// `demo`: a full payment story against the running mesh, printed step by step. It opens a
// settlement account and two customer accounts (Alice, Bob), funds Alice from settlement, pays
// Bob AUTOMATIC, pays Bob MANUAL and captures part of it (the rest is released), refunds part of
// the first payment, shows the balances and checks the ledger. Every run uses fresh accounts and
// keys; the balances are checked against what the story must leave, and a difference exits 1.
import { randomUUID } from 'node:crypto';
import { AccountKind } from '../../../../gen/grpc-js/clearmesh/account/v1/account.js';
import {
  CaptureMethod,
  PaymentStatus,
  type Payment,
} from '../../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { RefundStatus, type Refund } from '../../../../gen/grpc-js/clearmesh/payment/v1/refund.js';
import type { AccountClient, PaymentClient } from '../../../internal/src/index.js';
import { currencyDigits, formatMoney } from '../amounts.js';
import { exitOk, exitRefused, type Command, type CommandContext } from '../command.js';
import type { Output } from '../output.js';
import { paymentStatusText, paymentView, refundView } from '../views.js';
import { integrityView, printIntegrity } from './ledger.js';

/** The story in major units: what moves, and what each account must hold at the end. */
const story = {
  funding: 100n,
  automatic: 25n,
  manualHold: 40n,
  manualCapture: 30n,
  refund: 10n,
} as const;

export const demoExpectedMajor = {
  settlement: -story.funding,
  alice: story.funding - story.automatic - story.manualCapture + story.refund,
  bob: story.automatic + story.manualCapture - story.refund,
} as const;

type DemoAccountName = keyof typeof demoExpectedMajor;

/** One run of the story: its fresh ids and keys, the clients, and the numbered steps printed. */
class DemoRun {
  readonly runId = randomUUID().slice(0, 8);
  readonly unit: bigint;
  private step = 0;

  constructor(
    readonly out: Output,
    readonly currency: string,
    private readonly accounts: AccountClient['call'],
    private readonly payments: PaymentClient['call'],
  ) {
    this.unit = 10n ** BigInt(currencyDigits(currency));
  }

  say(text: string): void {
    this.step += 1;
    this.out.line(`${this.step}. ${text}`);
  }

  /** Major units of the story as money text: 25n → "25.00 EUR". */
  money(major: bigint): string {
    return formatMoney(major * this.unit, this.currency);
  }

  async open(name: DemoAccountName, kind: AccountKind): Promise<string> {
    const { account } = await this.accounts.openAccount({
      requestId: `demo-${this.runId}-open-${name}`,
      ownerId: kind === AccountKind.ACCOUNT_KIND_SETTLEMENT ? 'clearmesh' : `demo-${this.runId}`,
      currency: this.currency,
      kind,
      overdraftLimit: 0n,
      displayName: `Demo ${name}`,
      metadata: { demo: this.runId },
    });
    if (account === undefined) throw new Error('the account service answered no account');
    return account.accountId;
  }

  async pay(step: string, from: string, to: string, major: bigint, manual = false) {
    const { payment } = await this.payments.createPayment({
      idempotencyKey: `demo-${this.runId}-${step}`,
      payerAccountId: from,
      payeeAccountId: to,
      amount: { amount: major * this.unit, currency: this.currency },
      captureMethod: manual
        ? CaptureMethod.CAPTURE_METHOD_MANUAL
        : CaptureMethod.CAPTURE_METHOD_AUTOMATIC,
      authorizationTtlSeconds: 0,
      description: `demo ${step}`,
      reference: `demo-${this.runId}`,
      metadata: {},
    });
    if (payment === undefined) throw new Error('the payment service answered no payment');
    return payment;
  }

  async capture(payment: Payment, major: bigint): Promise<Payment> {
    const response = await this.payments.capturePayment({
      paymentId: payment.paymentId,
      amount: { amount: major * this.unit, currency: this.currency },
      idempotencyKey: `demo-${this.runId}-capture`,
    });
    if (response.payment === undefined) throw new Error('the payment service answered no payment');
    return response.payment;
  }

  async refund(payment: Payment, major: bigint): Promise<Refund> {
    const response = await this.payments.refundPayment({
      paymentId: payment.paymentId,
      amount: { amount: major * this.unit, currency: this.currency },
      idempotencyKey: `demo-${this.runId}-refund`,
      reason: 'demo refund',
    });
    if (response.refund === undefined) throw new Error('the payment service answered no refund');
    return response.refund;
  }

  /** Prints each account's posted balance next to what the story must leave; true if all match. */
  async checkBalances(ids: Record<DemoAccountName, string>) {
    const balances: Record<string, { accountId: string; posted: string; expected: string }> = {};
    let right = true;
    this.say('balances:');
    for (const name of ['settlement', 'alice', 'bob'] as const) {
      const { account } = await this.accounts.getAccount({ accountId: ids[name] });
      const posted = account?.balance?.posted ?? 0n;
      const expected = demoExpectedMajor[name] * this.unit;
      right &&= posted === expected;
      balances[name] = {
        accountId: ids[name],
        posted: posted.toString(),
        expected: expected.toString(),
      };
      const text = formatMoney(posted, this.currency).padStart(16);
      const wrong = posted === expected ? '' : `  expected ${formatMoney(expected, this.currency)}`;
      this.out.line(`   ${name.padEnd(10)} ${text}${wrong}`);
    }
    return { balances, right };
  }
}

async function runDemo(context: CommandContext): Promise<number> {
  const { out } = context;
  const mesh = context.mesh();
  const currency = (context.flags.string('currency') ?? 'EUR').toUpperCase();
  const run = new DemoRun(out, currency, mesh.account().call, mesh.payment().call);
  const status = (payment: Payment): string => paymentStatusText(paymentView(payment));

  out.line(`Clearmesh demo ${run.runId} in ${currency}`);
  const ids = {
    settlement: await run.open('settlement', AccountKind.ACCOUNT_KIND_SETTLEMENT),
    alice: await run.open('alice', AccountKind.ACCOUNT_KIND_CUSTOMER),
    bob: await run.open('bob', AccountKind.ACCOUNT_KIND_CUSTOMER),
  };
  run.say(`opened settlement account ${ids.settlement} (owner clearmesh)`);
  run.say(`opened customer account ${ids.alice} for Alice`);
  run.say(`opened customer account ${ids.bob} for Bob`);

  const funding = await run.pay('funding', ids.settlement, ids.alice, story.funding);
  run.say(`funded Alice with ${run.money(story.funding)} from settlement: ${status(funding)}`);
  const automatic = await run.pay('automatic', ids.alice, ids.bob, story.automatic);
  run.say(`Alice paid Bob ${run.money(story.automatic)} (AUTOMATIC): ${status(automatic)}`);
  const manual = await run.pay('manual', ids.alice, ids.bob, story.manualHold, true);
  run.say(`Alice authorised ${run.money(story.manualHold)} to Bob (MANUAL): ${status(manual)}`);
  const captured = await run.capture(manual, story.manualCapture);
  run.say(
    `captured ${run.money(story.manualCapture)} of it, the rest released: ${status(captured)}`,
  );
  const refund = await run.refund(automatic, story.refund);
  run.say(
    `refunded ${run.money(story.refund)} of Alice's first payment: ${refundView(refund).status}`,
  );

  const { balances, right } = await run.checkBalances(ids);
  const integrity = await mesh.ledger().call.checkIntegrity({});
  run.say('checked the ledger:');
  printIntegrity(out, integrity, '   ');

  const succeeded =
    [funding, automatic, captured].every(
      (p) => p.status === PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
    ) && refund.status === RefundStatus.REFUND_STATUS_SUCCEEDED;
  const ok = succeeded && right && integrity.ok;
  out.document({
    runId: run.runId,
    currency,
    ok,
    accounts: ids,
    payments: [funding, automatic, captured].map(paymentView),
    refund: refundView(refund),
    balances,
    integrity: integrityView(integrity),
  });
  out.line(ok ? 'demo finished: every balance as expected' : 'demo FAILED: see above');
  return ok ? exitOk : exitRefused;
}

const demo: Command = {
  words: ['demo'],
  synopsis: '[--currency <code>]',
  summary: 'walk through a full payment story on fresh accounts, printing each step',
  options: { currency: { type: 'string' } },
  positionals: [],
  run: runDemo,
};

export const demoCommands: readonly Command[] = [demo];
