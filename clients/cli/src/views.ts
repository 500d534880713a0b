// What the CLI shows of each resource: one plain object per message (bigint minor units as decimal
// strings, times as ISO 8601, enum values by their bare SPEC name) that is both the --json output
// and the source of the human-readable lines. Every field is present, zero values included.
import {
  accountKindToJSON,
  accountStatusToJSON,
  type Account,
  type Balance,
} from '../../../gen/grpc-js/clearmesh/account/v1/account.js';
import {
  partnerStatusToJSON,
  type Partner,
} from '../../../gen/grpc-js/clearmesh/account/v1/partner.js';
import type { Money } from '../../../gen/grpc-js/clearmesh/common/v1/money.js';
import {
  captureMethodToJSON,
  paymentFailureReasonToJSON,
  paymentStatusToJSON,
  type Payment,
} from '../../../gen/grpc-js/clearmesh/payment/v1/payment.js';
import {
  refundStatusToJSON,
  type Refund,
} from '../../../gen/grpc-js/clearmesh/payment/v1/refund.js';
import { formatMoney } from './amounts.js';
import type { Field } from './output.js';

/** ACCOUNT_KIND_CUSTOMER → CUSTOMER; an unspecified value → ''. */
function bare(name: string, prefix: string): string {
  const value = name.startsWith(prefix) ? name.slice(prefix.length) : name;
  return value === 'UNSPECIFIED' ? '' : value;
}

function iso(time: Date | undefined): string | null {
  return time === undefined ? null : time.toISOString();
}

export interface MoneyView {
  readonly amount: string;
  readonly currency: string;
}

function moneyView(money: Money | undefined): MoneyView | null {
  return money === undefined ? null : { amount: money.amount.toString(), currency: money.currency };
}

export function showMoney(money: MoneyView | null): string {
  return money === null ? '—' : formatMoney(BigInt(money.amount), money.currency);
}

export function balanceView(balance: Balance | undefined) {
  if (balance === undefined) return null;
  return {
    posted: balance.posted.toString(),
    pending: balance.pending.toString(),
    available: balance.available.toString(),
  };
}

export type AccountView = ReturnType<typeof accountView>;

export function accountView(account: Account) {
  return {
    accountId: account.accountId,
    ownerId: account.ownerId,
    currency: account.currency,
    kind: bare(accountKindToJSON(account.kind), 'ACCOUNT_KIND_'),
    status: bare(accountStatusToJSON(account.status), 'ACCOUNT_STATUS_'),
    overdraftLimit: account.overdraftLimit.toString(),
    displayName: account.displayName,
    metadata: account.metadata,
    createdAt: iso(account.createdAt),
    updatedAt: iso(account.updatedAt),
    balance: balanceView(account.balance),
  };
}

export function accountFields(view: AccountView): Field[] {
  const money = (minor: string): string => formatMoney(BigInt(minor), view.currency);
  const fields: Field[] = [
    ['account', view.accountId],
    ['owner', view.ownerId],
    ['kind', view.kind],
    ['status', view.status],
    ['currency', view.currency],
  ];
  if (view.kind === 'CUSTOMER') fields.push(['overdraft', money(view.overdraftLimit)]);
  if (view.displayName !== '') fields.push(['name', view.displayName]);
  if (view.balance !== null) {
    fields.push(
      ['posted', money(view.balance.posted)],
      ['pending', money(view.balance.pending)],
      ['available', money(view.balance.available)],
    );
  }
  fields.push(['created', view.createdAt ?? '—']);
  return fields;
}

/** One line of a list: id, kind, status, owner, posted balance. */
export function accountLine(view: AccountView): string {
  const posted =
    view.balance === null ? '' : `  ${formatMoney(BigInt(view.balance.posted), view.currency)}`;
  return `${view.accountId}  ${view.kind.padEnd(10)} ${view.status.padEnd(6)}  ${view.ownerId}${posted}`;
}

export type PaymentView = ReturnType<typeof paymentView>;

export function paymentView(payment: Payment) {
  return {
    paymentId: payment.paymentId,
    idempotencyKey: payment.idempotencyKey,
    payerAccountId: payment.payerAccountId,
    payeeAccountId: payment.payeeAccountId,
    amount: moneyView(payment.amount),
    amountCaptured: moneyView(payment.amountCaptured),
    amountRefunded: moneyView(payment.amountRefunded),
    captureMethod: bare(captureMethodToJSON(payment.captureMethod), 'CAPTURE_METHOD_'),
    status: bare(paymentStatusToJSON(payment.status), 'PAYMENT_STATUS_'),
    failureReason: bare(
      paymentFailureReasonToJSON(payment.failureReason),
      'PAYMENT_FAILURE_REASON_',
    ),
    ledgerTransferIds: payment.ledgerTransferIds,
    description: payment.description,
    reference: payment.reference,
    metadata: payment.metadata,
    createdAt: iso(payment.createdAt),
    updatedAt: iso(payment.updatedAt),
  };
}

export function paymentStatusText(view: PaymentView): string {
  return view.failureReason === '' ? view.status : `${view.status} (${view.failureReason})`;
}

export function paymentFields(view: PaymentView): Field[] {
  const fields: Field[] = [
    ['payment', view.paymentId],
    ['status', paymentStatusText(view)],
    ['capture', view.captureMethod],
    ['from', view.payerAccountId],
    ['to', view.payeeAccountId],
    ['amount', showMoney(view.amount)],
    ['captured', showMoney(view.amountCaptured)],
    ['refunded', showMoney(view.amountRefunded)],
    ['key', view.idempotencyKey],
  ];
  if (view.description !== '') fields.push(['description', view.description]);
  if (view.reference !== '') fields.push(['reference', view.reference]);
  fields.push(['created', view.createdAt ?? '—'], ['updated', view.updatedAt ?? '—']);
  return fields;
}

/** One line of a list: id, status, amount, payer → payee. */
export function paymentLine(view: PaymentView): string {
  return (
    `${view.paymentId}  ${paymentStatusText(view).padEnd(16)}  ${showMoney(view.amount)}  ` +
    `${view.payerAccountId} → ${view.payeeAccountId}`
  );
}

export type RefundView = ReturnType<typeof refundView>;

export function refundView(refund: Refund) {
  return {
    refundId: refund.refundId,
    paymentId: refund.paymentId,
    amount: moneyView(refund.amount),
    reason: refund.reason,
    status: bare(refundStatusToJSON(refund.status), 'REFUND_STATUS_'),
    failureReason: bare(
      paymentFailureReasonToJSON(refund.failureReason),
      'PAYMENT_FAILURE_REASON_',
    ),
    ledgerTransferId: refund.ledgerTransferId,
    createdAt: iso(refund.createdAt),
  };
}

export function refundFields(view: RefundView): Field[] {
  const status = view.failureReason === '' ? view.status : `${view.status} (${view.failureReason})`;
  const fields: Field[] = [
    ['refund', view.refundId],
    ['payment', view.paymentId],
    ['status', status],
    ['amount', showMoney(view.amount)],
  ];
  if (view.reason !== '') fields.push(['reason', view.reason]);
  fields.push(['created', view.createdAt ?? '—']);
  return fields;
}

export type PartnerView = ReturnType<typeof partnerView>;

export function partnerView(partner: Partner) {
  return {
    partnerId: partner.partnerId,
    clientId: partner.clientId,
    displayName: partner.displayName,
    scopes: partner.scopes,
    status: bare(partnerStatusToJSON(partner.status), 'PARTNER_STATUS_'),
    createdAt: iso(partner.createdAt),
  };
}

export function partnerFields(view: PartnerView): Field[] {
  return [
    ['partner', view.partnerId],
    ['client id', view.clientId],
    ['name', view.displayName],
    ['scopes', view.scopes.join(' ')],
    ['status', view.status],
    ['created', view.createdAt ?? '—'],
  ];
}
