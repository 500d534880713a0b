// The AccountService handlers built so far; the partner and token RPCs answer UNIMPLEMENTED until
// they are built.
import { AccountServiceService } from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import type { ServiceHandlers } from '../../../mesh/src/rpc-runtime.js';
import { notImplementedHandlers } from '../../../mesh/src/server.js';
import { closeAccountHandler } from './close-account.js';
import type { HandlerDependencies } from './dependencies.js';
import { freezeAccountHandler } from './freeze-account.js';
import { getAccountHandler } from './get-account.js';
import { listAccountsHandler } from './list-accounts.js';
import { openAccountHandler } from './open-account.js';
import { unfreezeAccountHandler } from './unfreeze-account.js';

export type { HandlerDependencies } from './dependencies.js';

export function accountHandlers(
  dependencies: HandlerDependencies,
): ServiceHandlers<typeof AccountServiceService> {
  return {
    ...notImplementedHandlers(AccountServiceService),
    openAccount: openAccountHandler(dependencies),
    getAccount: getAccountHandler(dependencies),
    listAccounts: listAccountsHandler(dependencies),
    freezeAccount: freezeAccountHandler(dependencies),
    unfreezeAccount: unfreezeAccountHandler(dependencies),
    closeAccount: closeAccountHandler(dependencies),
  };
}
