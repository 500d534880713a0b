// `pay`, `capture`, `cancel`, `refund` and `payments get|list|watch` through the PaymentService.
// Every write carries an idempotency key (--key, or a generated one that is printed): running the
// same command again with the same key answers the first outcome and moves no money twice. A
// payment or refund the ledger declined is printed with its reason and exits 1.
import type { Money } from '../../../../gen/grpc-js/clearmesh/common/v1/money.js';
import {
  CaptureMethod,
  PaymentStatus,
  type Payment,
} from '../../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import { RefundStatus } from '../../../../gen/grpc-js/clearmesh/payment/v1/refund.js';
import { parseAmount } from '../amounts.js';
import { exitOk, exitRefused, keyOption, type Command, type CommandContext } from '../command.js';
import { stringifyJson } from '../output.js';
import { UsageError } from '../usage-error.js';
import {
  paymentFields,
  paymentLine,
  paymentStatusText,
  paymentView,
  refundFields,
  refundView,
  showMoney,
} from '../views.js';

/** How long `payments watch` follows a payment by default: a MANUAL one may wait days. */
const watchTimeoutMsDefault = 3_600_000;

function showPayment(context: CommandContext, payment: Payment | undefined): number {
  if (payment === undefined) throw new Error('the payment service answered no payment');
  const view = paymentView(payment);
  context.out.document({ payment: view });
  context.out.fields(paymentFields(view));
  if (payment.status === PaymentStatus.PAYMENT_STATUS_FAILED) {
    context.out.error(`payment ${view.paymentId} FAILED: ${view.failureReason}`);
    return exitRefused;
  }
  return exitOk;
}

/** --amount in the payment's currency (read from the payment), or undefined for "all". */
async function optionalAmount(
  context: CommandContext,
  paymentId: string,
): Promise<Money | undefined> {
  const text = context.flags.string('amount');
  if (text === undefined) return undefined;
  const { payment } = await context.mesh().payment().call.getPayment({ paymentId });
  const currency = payment?.amount?.currency;
  if (currency === undefined) throw new Error('the payment service answered no payment amount');
  const amount = parseAmount(text, currency, {
    flag: '--amount',
    minor: context.flags.boolean('minor'),
  });
  return { amount, currency };
}

const pay: Command = {
  words: ['pay'],
  synopsis:
    '--from <account id> --to <account id> --amount <amount> --currency <code> [--manual] ' +
    '[--ttl-seconds <n>] [--description <text>] [--reference <text>] [--key <key>] [--minor]',
  summary: 'pay from one account to another: captured at once, or held until capture (--manual)',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    amount: { type: 'string' },
    currency: { type: 'string' },
    manual: { type: 'boolean' },
    'ttl-seconds': { type: 'string' },
    description: { type: 'string' },
    reference: { type: 'string' },
    minor: { type: 'boolean' },
    ...keyOption,
  },
  positionals: [],
  run: async (context) => {
    const { flags, out } = context;
    const payerAccountId = flags.required('from');
    const payeeAccountId = flags.required('to');
    const currency = flags.required('currency').toUpperCase();
    const amount = parseAmount(flags.required('amount'), currency, {
      flag: '--amount',
      minor: flags.boolean('minor'),
    });
    const manual = flags.boolean('manual');
    const ttlSeconds = flags.integer('ttl-seconds', { min: 1, max: 2_592_000 });
    if (ttlSeconds !== undefined && !manual) {
      throw new UsageError('--ttl-seconds applies to --manual payments only');
    }
    const idempotencyKey = flags.idempotencyKey(out);
    const { payment } = await context
      .mesh()
      .payment()
      .call.createPayment({
        idempotencyKey,
        payerAccountId,
        payeeAccountId,
        amount: { amount, currency },
        captureMethod: manual
          ? CaptureMethod.CAPTURE_METHOD_MANUAL
          : CaptureMethod.CAPTURE_METHOD_AUTOMATIC,
        authorizationTtlSeconds: ttlSeconds ?? 0,
        description: flags.string('description') ?? '',
        reference: flags.string('reference') ?? '',
        metadata: {},
      });
    return showPayment(context, payment);
  },
};

const capture: Command = {
  words: ['capture'],
  synopsis: '<payment id> [--amount <amount>] [--key <key>] [--minor]',
  summary: 'capture a MANUAL payment, all of it or --amount (the rest is released)',
  options: { amount: { type: 'string' }, minor: { type: 'boolean' }, ...keyOption },
  positionals: ['payment id'],
  run: async (context) => {
    const paymentId = context.flags.positional(0);
    const amount = await optionalAmount(context, paymentId);
    const idempotencyKey = context.flags.idempotencyKey(context.out);
    const { payment } = await context
      .mesh()
      .payment()
      .call.capturePayment({ paymentId, amount, idempotencyKey });
    return showPayment(context, payment);
  },
};

const cancel: Command = {
  words: ['cancel'],
  synopsis: '<payment id> [--key <key>]',
  summary: 'cancel a MANUAL payment that awaits capture: its hold is released',
  options: { ...keyOption },
  positionals: ['payment id'],
  run: async (context) => {
    const paymentId = context.flags.positional(0);
    const idempotencyKey = context.flags.idempotencyKey(context.out);
    const { payment } = await context
      .mesh()
      .payment()
      .call.cancelPayment({ paymentId, idempotencyKey });
    return showPayment(context, payment);
  },
};

const refund: Command = {
  words: ['refund'],
  synopsis: '<payment id> [--amount <amount>] [--reason <text>] [--key <key>] [--minor]',
  summary: 'refund a captured payment, all that is left or --amount',
  options: {
    amount: { type: 'string' },
    reason: { type: 'string' },
    minor: { type: 'boolean' },
    ...keyOption,
  },
  positionals: ['payment id'],
  run: async (context) => {
    const { flags, out } = context;
    const paymentId = flags.positional(0);
    const amount = await optionalAmount(context, paymentId);
    const idempotencyKey = flags.idempotencyKey(out);
    const response = await context
      .mesh()
      .payment()
      .call.refundPayment({
        paymentId,
        amount,
        idempotencyKey,
        reason: flags.string('reason') ?? '',
      });
    if (response.refund === undefined) throw new Error('the payment service answered no refund');
    const view = refundView(response.refund);
    out.document({ idempotencyKey, refund: view });
    out.fields([...refundFields(view), ['key', idempotencyKey]]);
    if (response.refund.status === RefundStatus.REFUND_STATUS_FAILED) {
      out.error(`refund ${view.refundId} FAILED: ${view.failureReason}`);
      return exitRefused;
    }
    return exitOk;
  },
};

const get: Command = {
  words: ['payments', 'get'],
  synopsis: '<payment id>',
  summary: 'show a payment',
  options: {},
  positionals: ['payment id'],
  run: async (context) => {
    const { payment } = await context
      .mesh()
      .payment()
      .call.getPayment({ paymentId: context.flags.positional(0) });
    if (payment === undefined) throw new Error('the payment service answered no payment');
    const view = paymentView(payment);
    context.out.document({ payment: view });
    context.out.fields(paymentFields(view));
    return exitOk;
  },
};

function parseStatus(text: string | undefined): PaymentStatus {
  if (text === undefined) return PaymentStatus.PAYMENT_STATUS_UNSPECIFIED;
  const name = `PAYMENT_STATUS_${text.toUpperCase().replace(/-/g, '_')}`;
  const status = (PaymentStatus as Record<string, PaymentStatus | string | undefined>)[name];
  if (typeof status !== 'number' || status === PaymentStatus.PAYMENT_STATUS_UNSPECIFIED) {
    throw new UsageError(
      `--status ${text}: expected pending, requires_capture, succeeded, canceled or failed`,
    );
  }
  return status;
}

const list: Command = {
  words: ['payments', 'list'],
  synopsis: '[--account <id>] [--status <status>] [--page-size <n>] [--page-token <token>]',
  summary: 'list payments, newest first (one page; the next page token is printed)',
  options: {
    account: { type: 'string' },
    status: { type: 'string' },
    'page-size': { type: 'string' },
    'page-token': { type: 'string' },
  },
  positionals: [],
  run: async (context) => {
    const { flags, out } = context;
    const response = await context
      .mesh()
      .payment()
      .call.listPayments({
        accountId: flags.string('account') ?? '',
        status: parseStatus(flags.string('status')),
        pageSize: flags.integer('page-size', { min: 1, max: 500 }) ?? 0,
        pageToken: flags.string('page-token') ?? '',
      });
    const views = response.payments.map(paymentView);
    out.document({ payments: views, nextPageToken: response.nextPageToken });
    for (const view of views) out.line(paymentLine(view));
    if (views.length === 0) out.line('no payments');
    if (response.nextPageToken !== '')
      out.line(`next page: --page-token ${response.nextPageToken}`);
    return exitOk;
  },
};

const watch: Command = {
  words: ['payments', 'watch'],
  synopsis: '<payment id>',
  summary: 'follow a payment until it is final (--json: one JSON line per change)',
  options: {},
  positionals: ['payment id'],
  run: async (context) => {
    const { out, flags } = context;
    const timeoutMs =
      flags.integer('timeout-ms', { min: 1, max: 86_400_000 }) ?? watchTimeoutMsDefault;
    const updates = context
      .mesh()
      .payment()
      .call.watchPayment({ paymentId: flags.positional(0) }, { timeoutMs });
    let last: Payment | undefined;
    for await (const { payment } of updates) {
      if (payment === undefined) continue;
      last = payment;
      const view = paymentView(payment);
      if (out.json) out.raw(`${stringifyJson({ payment: view })}\n`);
      out.line(
        `${view.updatedAt ?? ''}  ${paymentStatusText(view)}  captured ` +
          `${showMoney(view.amountCaptured)}, refunded ${showMoney(view.amountRefunded)}`,
      );
    }
    return last?.status === PaymentStatus.PAYMENT_STATUS_FAILED ? exitRefused : exitOk;
  },
};

export const paymentCommands: readonly Command[] = [pay, capture, cancel, refund, get, list, watch];
