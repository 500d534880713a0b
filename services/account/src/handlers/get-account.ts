// GetAccount: one visible account with its live balance from the ledger.
import type {
  GetAccountRequest,
  GetAccountResponse,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { maySee } from '../domain/index.js';
import { lookupLedgerAccounts } from '../ledger-accounts.js';
import { findAccount } from '../store/index.js';
import { callerOf } from './caller.js';
import type { HandlerDependencies } from './dependencies.js';
import { accountWithLedger } from './proto-mapping.js';
import { accountNotFound, requireUuid } from './request-validation.js';

export function getAccountHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<GetAccountRequest, GetAccountResponse> {
  return async (request, context) => {
    const caller = callerOf(context, 'accounts:read');
    const accountId = requireUuid(request.accountId, 'account_id');
    const account = await findAccount(dependencies.db, accountId);
    if (account === undefined || !maySee(caller, account)) throw accountNotFound(accountId);
    const ledger = await lookupLedgerAccounts(dependencies.ledger, [accountId], context);
    const ledgerAccount = ledger.get(accountId);
    if (ledgerAccount === undefined) throw new Error(`ledger account ${accountId} missing`);
    return { account: accountWithLedger(account, ledgerAccount) };
  };
}
