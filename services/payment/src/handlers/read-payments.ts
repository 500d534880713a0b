// GetPayment, ListPayments and WatchPayment: what the caller may see — everything for internal
// principals, for a partner only payments on accounts it owns. Unknown and invisible answer alike.
import * as grpc from '@grpc/grpc-js';
import type {
  GetPaymentRequest,
  GetPaymentResponse,
  ListPaymentsRequest,
  ListPaymentsResponse,
  WatchPaymentRequest,
  WatchPaymentResponse,
} from '../../../../gen/grpc-js/clearmesh/payment/v1/payment_service.js';
import { MeshError } from '../../../mesh/src/errors.js';
import { pageCallerOf, pageSizeOf, type PageScope } from '../../../mesh/src/page-token.js';
import type {
  CallContext,
  ServerStreamHandler,
  UnaryHandler,
} from '../../../mesh/src/rpc-runtime.js';
import { parseUuid } from '../../../mesh/src/uuid.js';
import {
  FINAL_STATUSES,
  maySeePayment,
  type PaymentCaller,
  type PaymentRecord,
} from '../domain/index.js';
import { findPayment, listPayments } from '../store/index.js';
import { accountNotFound, callerOf, paymentNotFound } from './caller.js';
import type { HandlerDependencies } from './dependencies.js';
import { paymentStatusFromProto, paymentToProto } from './proto-mapping.js';

function requireUuid(text: string, field: string): string {
  const id = parseUuid(text);
  if (id === undefined) {
    throw MeshError.invalidArgument([{ field, description: 'must be a UUID (not nil or max)' }]);
  }
  return id;
}

async function visiblePayment(
  dependencies: HandlerDependencies,
  caller: PaymentCaller,
  paymentId: string,
): Promise<PaymentRecord> {
  const payment = await findPayment(dependencies.db, paymentId);
  if (payment === undefined || !maySeePayment(caller, payment)) throw paymentNotFound(paymentId);
  return payment;
}

export function getPaymentHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<GetPaymentRequest, GetPaymentResponse> {
  return async (request, context) => {
    const caller = callerOf(context, 'payments:read');
    const paymentId = requireUuid(request.paymentId, 'payment_id');
    return { payment: paymentToProto(await visiblePayment(dependencies, caller, paymentId)) };
  };
}

export function listPaymentsHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<ListPaymentsRequest, ListPaymentsResponse> {
  return async (request, context) => {
    const caller = callerOf(context, 'payments:read');
    const violations = [];
    const accountId = request.accountId === '' ? undefined : parseUuid(request.accountId);
    if (request.accountId !== '' && accountId === undefined) {
      violations.push({ field: 'account_id', description: 'must be a UUID or empty' });
    }
    const status = paymentStatusFromProto(request.status);
    if (status === undefined) {
      violations.push({ field: 'status', description: 'must be a PaymentStatus' });
    }
    if (request.pageSize < 0) {
      violations.push({ field: 'page_size', description: 'must not be negative' });
    }
    if (violations.length > 0 || status === undefined) throw MeshError.invalidArgument(violations);
    if (accountId !== undefined)
      await requireVisibleAccount(dependencies, caller, accountId, context);
    const scope: PageScope = {
      caller: pageCallerOf(context),
      query: { accountId, status },
    };
    const before =
      request.pageToken === '' ? undefined : dependencies.pageTokens.open(request.pageToken, scope);
    const limit = pageSizeOf(request.pageSize);
    const rows = await listPayments(dependencies.db, {
      accountId,
      ownerId: caller.kind === 'partner' ? caller.partnerId : undefined,
      status: status === 'all' ? undefined : status,
      before,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      payments: page.map(paymentToProto),
      nextPageToken:
        rows.length > limit && last !== undefined
          ? dependencies.pageTokens.seal(last.paymentId, scope)
          : '',
    };
  };
}

/** An account_id filter must name an account the caller may see (a partner: one it owns). */
async function requireVisibleAccount(
  dependencies: HandlerDependencies,
  caller: PaymentCaller,
  accountId: string,
  context: CallContext,
): Promise<void> {
  const account = await dependencies.accounts.find(accountId, context.trace);
  if (account === undefined) throw accountNotFound(accountId, 'account_id');
  if (caller.kind === 'partner' && account.ownerId !== caller.partnerId) {
    throw accountNotFound(accountId, 'account_id');
  }
}

export function watchPaymentHandler(
  dependencies: HandlerDependencies,
): ServerStreamHandler<WatchPaymentRequest, WatchPaymentResponse> {
  return async function* watch(request, context) {
    const caller = callerOf(context, 'payments:read');
    const paymentId = requireUuid(request.paymentId, 'payment_id');
    // Subscribed before the first read, so no change slips between the read and the wait.
    const subscription = dependencies.changes.subscribe(paymentId);
    try {
      let payment = await visiblePayment(dependencies, caller, paymentId);
      yield { payment: paymentToProto(payment) };
      while (!FINAL_STATUSES.has(payment.status)) {
        if ((await subscription.next(context.signal)) === 'stopped') {
          throw new MeshError(
            grpc.status.UNAVAILABLE,
            'SHUTTING_DOWN',
            'the payment service is shutting down; watch again',
          );
        }
        if (context.signal.aborted) return;
        const current = await visiblePayment(dependencies, caller, paymentId);
        if (
          current.updatedAt.getTime() !== payment.updatedAt.getTime() ||
          current.status !== payment.status
        ) {
          payment = current;
          yield { payment: paymentToProto(payment) };
        }
      }
    } finally {
      subscription.close();
    }
  };
}
