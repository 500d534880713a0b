// The AccountService handlers: accounts, partners and their access tokens.
import { AccountServiceService } from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import type { ServiceHandlers } from '../../../mesh/src/rpc-runtime.js';
import { closeAccountHandler } from './close-account.js';
import { createPartnerHandler } from './create-partner.js';
import type { HandlerDependencies } from './dependencies.js';
import { freezeAccountHandler } from './freeze-account.js';
import { getAccountHandler } from './get-account.js';
import { getJwksHandler } from './get-jwks.js';
import { issueTokenHandler } from './issue-token.js';
import { listAccountsHandler } from './list-accounts.js';
import { openAccountHandler } from './open-account.js';
import { revokePartnerHandler } from './revoke-partner.js';
import { rotatePartnerSecretHandler } from './rotate-partner-secret.js';
import { unfreezeAccountHandler } from './unfreeze-account.js';

export type { CredentialDependencies, HandlerDependencies } from './dependencies.js';

export function accountHandlers(
  dependencies: HandlerDependencies,
): ServiceHandlers<typeof AccountServiceService> {
  return {
    openAccount: openAccountHandler(dependencies),
    getAccount: getAccountHandler(dependencies),
    listAccounts: listAccountsHandler(dependencies),
    freezeAccount: freezeAccountHandler(dependencies),
    unfreezeAccount: unfreezeAccountHandler(dependencies),
    closeAccount: closeAccountHandler(dependencies),
    createPartner: createPartnerHandler(dependencies),
    rotatePartnerSecret: rotatePartnerSecretHandler(dependencies),
    revokePartner: revokePartnerHandler(dependencies),
    issueToken: issueTokenHandler(dependencies),
    getJwks: getJwksHandler(dependencies),
  };
}
