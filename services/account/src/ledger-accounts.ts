// The account service's side of the ledger: every call goes through the internal SDK as
// service/account, with the server call's context so that deadlines and traces carry over. The
// ledger's answers become the account service's errors here, in one place.
import * as grpc from '@grpc/grpc-js';
import { ClientError, type LedgerClient } from '../../../clients/internal/src/index.js';
import {
  LedgerAccountStatus,
  type LedgerAccount,
} from '../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import { CreateAccountStatus } from '../../../gen/grpc-js/clearmesh/ledger/v1/results.js';
import { MeshError } from '../../mesh/src/errors.js';
import type { TraceContext } from '../../mesh/src/trace-context.js';
import type { AccountRecord, AccountStatus } from './domain/index.js';

/** The server call a ledger call is made for; absent for the recovery pass. */
export type CallOrigin = { readonly deadline: Date; readonly trace: TraceContext } | undefined;

const recoveryTimeoutMs = 10_000;

function optionsOf(
  origin: CallOrigin,
): { context: NonNullable<CallOrigin> } | { timeoutMs: number } {
  return origin === undefined ? { timeoutMs: recoveryTimeoutMs } : { context: origin };
}

/**
 * Opens the account's ledger account of the same id. EXISTS is success: an earlier attempt (a
 * crashed call, a concurrent retry or the recovery pass) got there first with the same fields.
 */
export async function openLedgerAccount(
  ledger: LedgerClient,
  account: AccountRecord,
  origin: CallOrigin,
): Promise<void> {
  const customer = account.kind === 'CUSTOMER';
  const response = await ledger.call
    .createAccounts(
      {
        accounts: [
          {
            id: account.accountId,
            currency: account.currency,
            flags: { debitsMustNotExceedCredits: customer, creditsMustNotExceedDebits: false },
            overdraftLimit: customer ? account.overdraftLimit : 0n,
            status: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_OPEN,
            debitsPending: 0n,
            debitsPosted: 0n,
            creditsPending: 0n,
            creditsPosted: 0n,
            createdAt: undefined,
          },
        ],
      },
      optionsOf(origin),
    )
    .catch((error: unknown) => {
      throw ledgerFailure(error);
    });
  const status = response.results[0]?.status;
  if (
    status !== CreateAccountStatus.CREATE_ACCOUNT_STATUS_CREATED &&
    status !== CreateAccountStatus.CREATE_ACCOUNT_STATUS_EXISTS
  ) {
    throw new Error(`ledger refused account ${account.accountId} with status ${String(status)}`);
  }
}

/** The ledger accounts of `accountIds`, by id; a missing one is a bug of ours. */
export async function lookupLedgerAccounts(
  ledger: LedgerClient,
  accountIds: readonly string[],
  origin: CallOrigin,
): Promise<Map<string, LedgerAccount>> {
  if (accountIds.length === 0) return new Map();
  const response = await ledger.call
    .lookupAccounts({ accountIds: [...accountIds] }, optionsOf(origin))
    .catch((error: unknown) => {
      throw ledgerFailure(error);
    });
  const found = new Map(response.accounts.map((account) => [account.id, account]));
  const missing = accountIds.filter((id) => !found.has(id));
  if (missing.length > 0) throw new Error(`ledger accounts missing: ${missing.join(', ')}`);
  return found;
}

const ledgerStatusOf: Readonly<Record<AccountStatus, LedgerAccountStatus>> = {
  ACTIVE: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_OPEN,
  FROZEN: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_FROZEN,
  CLOSED: LedgerAccountStatus.LEDGER_ACCOUNT_STATUS_CLOSED,
};

/** Sets the ledger account's status, which the ledger enforces; answers it with its balances. */
export async function setLedgerAccountStatus(
  ledger: LedgerClient,
  accountId: string,
  status: AccountStatus,
  origin: CallOrigin,
): Promise<LedgerAccount> {
  const response = await ledger.call
    .setAccountStatus({ accountId, status: ledgerStatusOf[status] }, optionsOf(origin))
    .catch((error: unknown) => {
      throw ledgerFailure(error);
    });
  if (response.ledgerAccount === undefined) throw new Error('ledger answered no account');
  return response.ledgerAccount;
}

/**
 * What a failed ledger call means to our caller: the ledger's refusals of a status change keep
 * their reason; an unreachable ledger or an open breaker is UNAVAILABLE (a keyed OpenAccount is
 * finished by a retry or by recovery); a deadline stays a deadline; anything else is our bug.
 */
export function ledgerFailure(error: unknown): unknown {
  if (!(error instanceof ClientError)) return error;
  if (
    error.code === grpc.status.FAILED_PRECONDITION &&
    (error.reason === 'ACCOUNT_NOT_EMPTY' || error.reason === 'INVALID_STATE')
  ) {
    const message =
      error.reason === 'ACCOUNT_NOT_EMPTY'
        ? 'only an account with a zero balance and no pending holds can close'
        : 'the account is CLOSED, which is final';
    return new MeshError(error.code, error.reason, message, { cause: error });
  }
  if (error.code === grpc.status.UNAVAILABLE) {
    const reason = error.reason === 'CIRCUIT_OPEN' ? 'CIRCUIT_OPEN' : 'DEPENDENCY_UNAVAILABLE';
    return new MeshError(grpc.status.UNAVAILABLE, reason, 'the ledger is unavailable; retry', {
      cause: error,
    });
  }
  if (error.code === grpc.status.DEADLINE_EXCEEDED) {
    return new MeshError(
      grpc.status.DEADLINE_EXCEEDED,
      'DEADLINE_EXCEEDED',
      'the ledger did not answer within the deadline',
      { cause: error },
    );
  }
  return error;
}
