// The LedgerService handlers: transport only (proto ↔ domain, request-level validation); changes
// go through the writer, reads through the store.
import type { LedgerServiceService } from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import type { ServiceHandlers } from '../../../mesh/src/rpc-runtime.js';
import { checkIntegrityHandler } from './check-integrity.js';
import { createAccountsHandler } from './create-accounts.js';
import { createTransfersHandler } from './create-transfers.js';
import type { HandlerDependencies } from './dependencies.js';
import { getAccountBalancesHandler } from './get-account-balances.js';
import { listAccountTransfersHandler } from './list-account-transfers.js';
import { lookupAccountsHandler } from './lookup-accounts.js';
import { lookupTransfersHandler } from './lookup-transfers.js';
import { setAccountStatusHandler } from './set-account-status.js';

export type { HandlerDependencies } from './dependencies.js';

export function ledgerHandlers(
  dependencies: HandlerDependencies,
): ServiceHandlers<typeof LedgerServiceService> {
  return {
    createAccounts: createAccountsHandler(dependencies),
    setAccountStatus: setAccountStatusHandler(dependencies),
    createTransfers: createTransfersHandler(dependencies),
    lookupAccounts: lookupAccountsHandler(dependencies),
    lookupTransfers: lookupTransfersHandler(dependencies),
    listAccountTransfers: listAccountTransfersHandler(dependencies),
    getAccountBalances: getAccountBalancesHandler(dependencies),
    checkIntegrity: checkIntegrityHandler(dependencies),
  };
}
