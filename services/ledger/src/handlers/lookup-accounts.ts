// LookupAccounts: the accounts found, in request order, all from one snapshot (one statement).
import type {
  LookupAccountsRequest,
  LookupAccountsResponse,
} from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { ACCOUNTS_PER_REQUEST_MAX, type LedgerAccountState } from '../domain/index.js';
import { lookupAccounts } from '../store/index.js';
import type { HandlerDependencies } from './dependencies.js';
import { accountToProto } from './proto-mapping.js';
import { requireUuids } from './request-validation.js';

export function lookupAccountsHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<LookupAccountsRequest, LookupAccountsResponse> {
  return async (request) => {
    const ids = requireUuids(request.accountIds, 'account_ids', ACCOUNTS_PER_REQUEST_MAX);
    const found = await lookupAccounts(dependencies.db, [...new Set(ids)]);
    const accounts = ids
      .map((id) => found.get(id))
      .filter((account): account is LedgerAccountState => account !== undefined);
    return { accounts: accounts.map(accountToProto) };
  };
}
